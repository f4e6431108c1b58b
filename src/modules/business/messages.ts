// The business module's texts in every language (see platform/i18n/message.ts). Amounts are in
// minor units, as the API gives them, so they are shown as plain digits.
import { defineMessages } from '../../platform/i18n/message.ts';

export const BUSINESS = defineMessages('business', {
  contractHasCountedInMrr: {
    en: 'the contract started on {start} and has counted in MRR since; deleting it would rewrite past MRR. End it instead: set its endDate to its last billed day',
    es: 'el contrato empezó el {start} y desde entonces cuenta en el MRR; eliminarlo reescribiría el MRR pasado. Finalícelo en su lugar: ponga en endDate su último día facturado',
    'pt-BR':
      'o contrato começou em {start} e desde então conta no MRR; excluí-lo reescreveria o MRR passado. Encerre-o em vez disso: defina endDate como o último dia faturado',
  },
  futureContractsBlockChurn: {
    en: 'the client has {count} contract(s) starting on or after today ({today}); delete them or change their dates before it churns',
    es: 'el cliente tiene {count} contrato(s) que empiezan hoy ({today}) o después; elimínelos o cambie sus fechas antes de darlo de baja',
    'pt-BR':
      'o cliente tem {count} contrato(s) que começam hoje ({today}) ou depois; exclua-os ou altere suas datas antes de marcá-lo como perdido',
  },
  paymentInFuture: {
    en: "must not be after today ({today} in the organization's time zone)",
    es: 'no puede ser posterior a hoy ({today} en la zona horaria de la organización)',
    'pt-BR': 'não pode ser posterior a hoje ({today} no fuso horário da organização)',
  },
  duplicateInvoiceNumber: {
    en: 'an invoice numbered {number} already exists in this organization',
    es: 'ya existe una factura con el número {number} en esta organización',
    'pt-BR': 'já existe uma fatura com o número {number} nesta organização',
  },
  duplicateInvoiceNumberUnknown: {
    en: 'an invoice numbered so already exists in this organization',
    es: 'ya existe una factura con ese número en esta organización',
    'pt-BR': 'já existe uma fatura com esse número nesta organização',
  },
  dueBeforeIssued: {
    en: 'the due date {due} is before the issue date {issued}',
    es: 'la fecha de vencimiento ({due}) es anterior a la de emisión ({issued})',
    'pt-BR': 'a data de vencimento ({due}) é anterior à de emissão ({issued})',
  },
  paidBeforeVoid: {
    en: 'the invoice has {paid} paid on it; delete its payments before voiding it',
    es: 'La factura tiene {paid} pagado; elimine sus pagos antes de anularla',
    'pt-BR': 'A fatura tem {paid} pago; exclua os pagamentos antes de anulá-la',
  },
  cannotVoidWithPayments: {
    en: 'an invoice with payments cannot be voided',
    es: 'una factura con pagos no se puede anular',
    'pt-BR': 'uma fatura com pagamentos não pode ser anulada',
  },
  amountBelowPaid: {
    en: 'the amount cannot be below the {paid} already paid on the invoice',
    es: 'El importe no puede ser inferior a los {paid} ya pagados de la factura',
    'pt-BR': 'O valor não pode ser inferior aos {paid} já pagos na fatura',
  },
  atLeast: {
    en: 'must be at least {min}',
    es: 'debe ser al menos {min}',
    'pt-BR': 'deve ser pelo menos {min}',
  },
  currencyLockedByPayments: {
    en: 'the currency of an invoice with payments cannot change',
    es: 'La moneda de una factura con pagos no puede cambiar',
    'pt-BR': 'A moeda de uma fatura com pagamentos não pode mudar',
  },
  hasPayments: {
    en: 'the invoice has payments',
    es: 'la factura tiene pagos',
    'pt-BR': 'a fatura tem pagamentos',
  },
  deletePaymentsFirst: {
    en: 'the invoice has {payments} payment(s); delete them before the invoice',
    es: 'La factura tiene {payments} pago(s); elimínelos antes que la factura',
    'pt-BR': 'A fatura tem {payments} pagamento(s); exclua-os antes da fatura',
  },
  invoiceCurrency: {
    en: "must be {currency}, the invoice's currency",
    es: 'debe ser {currency}, la moneda de la factura',
    'pt-BR': 'deve ser {currency}, a moeda da fatura',
  },
  voidTakesNoPayments: {
    en: 'the invoice is void; it takes no payments',
    es: 'La factura está anulada; no admite pagos',
    'pt-BR': 'A fatura está anulada; não aceita pagamentos',
  },
  invoiceVoid: { en: 'the invoice is void', es: 'la factura está anulada', 'pt-BR': 'a fatura está anulada' },
  paymentAboveBalance: {
    en: 'the payment of {amount} exceeds the invoice balance of {balance}',
    es: 'El pago de {amount} supera el saldo pendiente de la factura, {balance}',
    'pt-BR': 'O pagamento de {amount} excede o saldo da fatura, {balance}',
  },
  notAboveBalance: {
    en: 'must not exceed the invoice balance of {balance}',
    es: 'no debe superar el saldo pendiente de la factura, {balance}',
    'pt-BR': 'não pode exceder o saldo da fatura, {balance}',
  },
  clientOrProject: {
    en: 'feedback must be about a client, a project or both',
    es: 'la opinión debe referirse a un cliente, a un proyecto o a ambos',
    'pt-BR': 'a avaliação deve se referir a um cliente, a um projeto ou a ambos',
  },
});
