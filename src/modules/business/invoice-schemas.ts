// Invoices and their payments, entered by hand: what revenue is computed from.
import { type Static, Type } from 'typebox';
import { sortValues } from '../../platform/db/keyset-list.ts';
import {
  CurrencyCode,
  DateOnly,
  Name,
  ResourceFields,
  StringEnum,
  Uuid,
} from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';
import { PositiveAmount } from './contract-schemas.ts';

export const INVOICE_STATUSES = ['open', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const INVOICE_STATES = ['paid', 'partially_paid', 'overdue', 'open', 'void'] as const;
export type InvoiceState = (typeof INVOICE_STATES)[number];

const InvoiceStatus = StringEnum(INVOICE_STATUSES, {
  description: 'open, or void (cancelled; an invoice with payments cannot be voided).',
});

const STATE_RULE =
  "Derived, first match wins: void when status is void; paid when paidMinor ≥ amountMinor; overdue when dueOn is before today (organization's time zone) and a balance remains; partially_paid when some but not all is paid; otherwise open.";

const InvoiceState = StringEnum(INVOICE_STATES, { description: STATE_RULE });

export const Invoice = Type.Object({
  ...ResourceFields,
  clientId: Uuid(),
  number: Type.String({ description: 'Unique within the organization.' }),
  issuedOn: Type.String({ format: 'date' }),
  dueOn: Type.String({ format: 'date' }),
  amountMinor: Type.Integer({ description: 'The invoiced amount in minor units.' }),
  currency: Type.String(),
  status: InvoiceStatus,
  paidMinor: Type.Integer({ description: 'Sum of the payments.' }),
  balanceMinor: Type.Integer({ description: 'amountMinor − paidMinor (0 for a void invoice).' }),
  state: InvoiceState,
});
export type InvoiceDto = Static<typeof Invoice>;

export const CreateInvoiceBody = Type.Object(
  {
    clientId: Uuid('A client of this organization.'),
    number: Name(50, 'Unique within the organization (409 if taken).'),
    issuedOn: DateOnly(),
    dueOn: DateOnly('Not before issuedOn.'),
    amountMinor: PositiveAmount(),
    currency: Type.Optional(CurrencyCode),
    status: Type.Optional(InvoiceStatus),
  },
  { additionalProperties: false },
);
export type CreateInvoiceInput = Static<typeof CreateInvoiceBody>;

export const UpdateInvoiceBody = Type.Object(
  {
    clientId: Type.Optional(Uuid()),
    number: Type.Optional(Name(50)),
    issuedOn: Type.Optional(DateOnly()),
    dueOn: Type.Optional(DateOnly()),
    amountMinor: Type.Optional(PositiveAmount('Not below what was already paid (409).')),
    currency: Type.Optional(CurrencyCode),
    status: Type.Optional(InvoiceStatus),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateInvoiceInput = Static<typeof UpdateInvoiceBody>;

export const INVOICE_SORTS = [
  'createdAt',
  'updatedAt',
  'number',
  'issuedOn',
  'dueOn',
  'amountMinor',
] as const;

export const InvoiceListQuery = Type.Object(
  {
    ...PageQuery,
    clientId: Type.Optional(Uuid()),
    status: Type.Optional(InvoiceStatus),
    state: Type.Optional(InvoiceState),
    issuedFrom: Type.Optional(DateOnly('Issued on or after this day.')),
    issuedTo: Type.Optional(DateOnly('Issued on or before this day.')),
    dueBefore: Type.Optional(DateOnly('Due before this day.')),
    sort: Type.Optional(
      StringEnum(sortValues(INVOICE_SORTS), {
        default: '-createdAt',
        description: 'Prefix - for descending.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type InvoiceListQueryType = Static<typeof InvoiceListQuery>;

// ---- payments ----------------------------------------------------------------------------------

export const Payment = Type.Object({
  ...ResourceFields,
  invoiceId: Uuid(),
  paidOn: Type.String({ format: 'date' }),
  amountMinor: Type.Integer(),
  currency: Type.String(),
  method: Type.String(),
  note: Type.String(),
});
export type PaymentDto = Static<typeof Payment>;

export const CreatePaymentBody = Type.Object(
  {
    paidOn: DateOnly(
      "The day the money was received; not after today in the organization's time zone (revenue is counted by this day).",
    ),
    amountMinor: PositiveAmount('More than 0 and not more than the invoice balance (409).'),
    currency: Type.Optional(
      Type.String({ pattern: '^[A-Z]{3}$', description: "Must be the invoice's currency (default)." }),
    ),
    method: Type.Optional(Type.String({ maxLength: 50, description: 'e.g. transfer, card, cash.' })),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type CreatePaymentInput = Static<typeof CreatePaymentBody>;

export const InvoicePaymentParams = Type.Object(
  { id: Uuid(), paymentId: Uuid() },
  { additionalProperties: false },
);
