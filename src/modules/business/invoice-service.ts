// Invoices and payments, entered by hand. An invoice answers what was paid, its balance and a
// derived state; a payment never exceeds the balance, a void invoice takes no payments, and an
// invoice with payments can be neither voided nor deleted (its revenue would silently vanish).
import { newId } from '../../platform/db/ids.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import { AppError, fieldError, invalidField, notFound } from '../../platform/errors.ts';
import { changedFields } from '../../platform/events/outbox.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';
import { assertOrgCurrency } from '../../platform/money/currency.ts';
import { diff } from '../audit/service.ts';
import { duplicateInvoiceNumber, orgBook, translated } from './common.ts';
import type { BusinessDeps } from './deps.ts';
import type {
  CreateInvoiceInput,
  CreatePaymentInput,
  InvoiceDto,
  InvoiceListQueryType,
  PaymentDto,
  UpdateInvoiceInput,
} from './invoice-schemas.ts';
import * as store from './invoice-store.ts';
import { BUSINESS } from './messages.ts';

export function invoiceToDto(i: store.InvoiceRow): InvoiceDto {
  return {
    id: i.id,
    clientId: i.client_id,
    number: i.number,
    issuedOn: i.issued_on,
    dueOn: i.due_on,
    amountMinor: i.amount_minor,
    currency: i.currency,
    status: i.status,
    paidMinor: i.paid_minor,
    balanceMinor: i.status === 'void' ? 0 : i.amount_minor - i.paid_minor,
    state: i.state,
    createdAt: i.created_at.toISOString(),
    updatedAt: i.updated_at.toISOString(),
    version: i.version,
  };
}

function paymentToDto(p: store.PaymentRow): PaymentDto {
  return {
    id: p.id,
    invoiceId: p.invoice_id,
    paidOn: p.paid_on,
    amountMinor: p.amount_minor,
    currency: p.currency,
    method: p.method,
    note: p.note,
    createdAt: p.created_at.toISOString(),
    updatedAt: p.updated_at.toISOString(),
    version: p.version,
  };
}

export class InvoiceService {
  private readonly deps: BusinessDeps;

  constructor(deps: BusinessDeps) {
    this.deps = deps;
  }

  async list(ctx: CallContext, q: InvoiceListQueryType): Promise<PageOf<InvoiceDto>> {
    const page = await this.deps.db.transaction(tenantScope(ctx), async (tx) => {
      const { today } = await orgBook(tx, this.deps.tenancy);
      return store.listInvoices(tx, q, today);
    });
    return { items: page.items.map(invoiceToDto), nextCursor: page.nextCursor };
  }

  async get(ctx: CallContext, id: string): Promise<InvoiceDto> {
    const row = await this.deps.db.transaction(tenantScope(ctx), async (tx) => {
      const { today } = await orgBook(tx, this.deps.tenancy);
      return store.getInvoice(tx, id, today);
    });
    if (!row) throw notFound('invoice');
    return invoiceToDto(row);
  }

  create(ctx: CallContext, body: CreateInvoiceInput): Promise<InvoiceDto> {
    return translated(
      this.deps.audit.change(ctx, async (tx, record, s) => {
        const { currency, today } = await orgBook(tx, this.deps.tenancy);
        const fields: store.InvoiceFields = {
          client_id: body.clientId,
          number: body.number,
          issued_on: body.issuedOn,
          due_on: body.dueOn,
          amount_minor: body.amountMinor,
          currency: body.currency ?? currency,
          status: body.status ?? 'open',
        };
        await this.check(tx, fields, body, currency, null);
        const id = newId();
        await store.insertInvoice(tx, s.orgId, id, fields);
        const row = (await store.getInvoice(tx, id, today))!;
        await record({
          action: 'invoice.create',
          resourceType: 'invoice',
          resourceId: id,
          events: [{ type: 'invoice.created', payload: { id, clientId: row.client_id } }],
          changes: diff(null, row, store.INVOICE_EDITABLE),
        });
        return invoiceToDto(row);
      }),
    );
  }

  update(
    ctx: CallContext,
    id: string,
    body: UpdateInvoiceInput,
    expectedVersion?: number,
  ): Promise<InvoiceDto> {
    return translated(
      this.deps.audit.change(ctx, async (tx, record) => {
        const { currency, today } = await orgBook(tx, this.deps.tenancy);
        const before = await store.getInvoice(tx, id, today, true);
        if (!before) throw notFound('invoice');
        assertVersion(before.version, expectedVersion, 'invoice');
        const fields: Partial<store.InvoiceFields> = {};
        if (body.clientId !== undefined) fields.client_id = body.clientId;
        if (body.number !== undefined) fields.number = body.number;
        if (body.issuedOn !== undefined) fields.issued_on = body.issuedOn;
        if (body.dueOn !== undefined) fields.due_on = body.dueOn;
        if (body.amountMinor !== undefined) fields.amount_minor = body.amountMinor;
        if (body.currency !== undefined) fields.currency = body.currency;
        if (body.status !== undefined) fields.status = body.status;
        const merged = { ...before, ...fields };
        await this.check(tx, merged, body, currency, id);
        const changes = diff(before, merged, store.INVOICE_EDITABLE);
        if (!changes) return invoiceToDto(before);
        if (before.paid_minor > 0) {
          if (changes.status && merged.status === 'void') {
            throw new AppError('conflict', BUSINESS.paidBeforeVoid({ paid: String(before.paid_minor) }), {
              errors: [fieldError('status', 'noPayments', BUSINESS.cannotVoidWithPayments())],
              extra: { paidMinor: before.paid_minor },
            });
          }
          if (merged.amount_minor < before.paid_minor) {
            throw new AppError('conflict', BUSINESS.amountBelowPaid({ paid: String(before.paid_minor) }), {
              errors: [
                fieldError(
                  'amountMinor',
                  'notBelowPaid',
                  BUSINESS.atLeast({ min: String(before.paid_minor) }),
                ),
              ],
              extra: { paidMinor: before.paid_minor },
            });
          }
          if (changes.currency) {
            throw new AppError('conflict', BUSINESS.currencyLockedByPayments(), {
              errors: [fieldError('currency', 'noPayments', BUSINESS.hasPayments())],
            });
          }
        }
        await store.updateInvoice(tx, id, fields);
        const after = (await store.getInvoice(tx, id, today))!;
        await record({
          action: changes.status
            ? merged.status === 'void'
              ? 'invoice.void'
              : 'invoice.reopen'
            : 'invoice.update',
          resourceType: 'invoice',
          resourceId: id,
          events: [
            {
              type: 'invoice.updated',
              payload: { id, clientId: after.client_id, fields: changedFields(changes) },
            },
          ],
          changes,
        });
        return invoiceToDto(after);
      }),
    );
  }

  async delete(ctx: CallContext, id: string, expectedVersion?: number): Promise<void> {
    await this.deps.audit.change(ctx, async (tx, record) => {
      const { today } = await orgBook(tx, this.deps.tenancy);
      const before = await store.getInvoice(tx, id, today, true);
      if (!before) throw notFound('invoice');
      assertVersion(before.version, expectedVersion, 'invoice');
      const payments = await store.countPayments(tx, id);
      if (payments > 0) {
        throw new AppError('conflict', BUSINESS.deletePaymentsFirst({ payments }), {
          extra: { payments, paidMinor: before.paid_minor },
        });
      }
      await store.deleteInvoice(tx, id);
      await record({
        action: 'invoice.delete',
        resourceType: 'invoice',
        resourceId: id,
        events: [{ type: 'invoice.deleted', payload: { id, clientId: before.client_id } }],
        changes: diff(before, null, store.INVOICE_EDITABLE),
      });
    });
  }

  /** The rules an invoice's fields must meet; `given` says which fields the caller sent. */
  private async check(
    tx: Sql,
    f: store.InvoiceFields,
    given: UpdateInvoiceInput,
    orgCurrency: string,
    id: string | null,
  ): Promise<void> {
    if (given.currency !== undefined) assertOrgCurrency('currency', f.currency, orgCurrency);
    if (f.due_on < f.issued_on) {
      throw invalidField(
        given.dueOn === undefined && given.issuedOn !== undefined ? 'issuedOn' : 'dueOn',
        'notBeforeIssued',
        BUSINESS.dueBeforeIssued({ due: { day: f.due_on }, issued: { day: f.issued_on } }),
      );
    }
    if (given.clientId !== undefined && !(await this.deps.work.clients.exists(tx, given.clientId))) {
      throw invalidField('clientId', 'exists', COMMON.noSuch({ what: resourceName('client') }));
    }
    if (given.number !== undefined && (await store.invoiceNumberTaken(tx, f.number, id))) {
      throw duplicateInvoiceNumber(f.number);
    }
  }

  // ---- payments --------------------------------------------------------------------------------

  async listPayments(ctx: CallContext, invoiceId: string): Promise<PaymentDto[]> {
    const rows = await this.deps.db.transaction(tenantScope(ctx), async (tx) => {
      const { today } = await orgBook(tx, this.deps.tenancy);
      if (!(await store.getInvoice(tx, invoiceId, today))) throw notFound('invoice');
      return store.listPayments(tx, invoiceId);
    });
    return rows.map(paymentToDto);
  }

  async getPayment(ctx: CallContext, invoiceId: string, id: string): Promise<PaymentDto> {
    const row = await this.deps.db.transaction(tenantScope(ctx), (tx) => store.getPayment(tx, invoiceId, id));
    if (!row) throw notFound('payment');
    return paymentToDto(row);
  }

  async createPayment(ctx: CallContext, invoiceId: string, body: CreatePaymentInput): Promise<PaymentDto> {
    return this.deps.audit.change(ctx, async (tx, record, s) => {
      const { today } = await orgBook(tx, this.deps.tenancy);
      // Locking the invoice serialises payments on it, so two payments cannot both fit one balance.
      const invoice = await store.getInvoice(tx, invoiceId, today, true);
      if (!invoice) throw notFound('invoice');
      // Revenue is counted by paid_on: a payment dated after today would show up in figures ahead of time.
      if (body.paidOn > today) {
        throw invalidField('paidOn', 'notInFuture', BUSINESS.paymentInFuture({ today: { day: today } }));
      }
      const currency = body.currency ?? invoice.currency;
      if (currency !== invoice.currency) {
        throw invalidField(
          'currency',
          'invoiceCurrency',
          BUSINESS.invoiceCurrency({ currency: invoice.currency }),
        );
      }
      if (invoice.status === 'void') {
        throw new AppError('conflict', BUSINESS.voidTakesNoPayments(), {
          errors: [fieldError('id', 'invoiceNotVoid', BUSINESS.invoiceVoid(), 'params')],
        });
      }
      const balance = invoice.amount_minor - invoice.paid_minor;
      if (body.amountMinor > balance) {
        throw new AppError(
          'conflict',
          BUSINESS.paymentAboveBalance({ amount: String(body.amountMinor), balance: String(balance) }),
          {
            errors: [
              fieldError(
                'amountMinor',
                'notAboveBalance',
                BUSINESS.notAboveBalance({ balance: String(balance) }),
              ),
            ],
            extra: { balanceMinor: balance },
          },
        );
      }
      const row = await store.insertPayment(tx, s.orgId, newId(), {
        invoice_id: invoiceId,
        paid_on: body.paidOn,
        amount_minor: body.amountMinor,
        currency,
        method: body.method ?? '',
        note: body.note ?? '',
      });
      await record({
        action: 'payment.create',
        resourceType: 'payment',
        resourceId: row.id,
        changes: diff(null, row, store.PAYMENT_AUDITED),
        metadata: { invoiceId },
      });
      return paymentToDto(row);
    });
  }

  async deletePayment(
    ctx: CallContext,
    invoiceId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<void> {
    await this.deps.audit.change(ctx, async (tx, record) => {
      const { today } = await orgBook(tx, this.deps.tenancy);
      if (!(await store.getInvoice(tx, invoiceId, today, true))) throw notFound('invoice');
      const before = await store.getPayment(tx, invoiceId, id, true);
      if (!before) throw notFound('payment');
      assertVersion(before.version, expectedVersion, 'payment');
      await store.deletePayment(tx, id);
      await record({
        action: 'payment.delete',
        resourceType: 'payment',
        resourceId: id,
        changes: diff(before, null, store.PAYMENT_AUDITED),
        metadata: { invoiceId },
      });
    });
  }
}
