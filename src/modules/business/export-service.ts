// Exports of business lists (contracts, invoices, deals, feedback): every row matching a list's
// filters, streamed from a server-side cursor into the sink the route provides (the same sink and
// writers as the work exports, platform/export/send-export.ts), so memory stays flat. Amounts are
// written in major units of their currency (1234.50), as the work exports write budgets.
import { streamRows } from '../../platform/db/query-stream.ts';
import type { ExportColumn } from '../../platform/export/send-export.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { majorText } from '../../platform/money/currency.ts';
import type { ExportSink } from '../work/service.ts';
import { orgBook } from './common.ts';
import * as contractStore from './contract-store.ts';
import * as dealStore from './deal-store.ts';
import type { BusinessDeps } from './deps.ts';
import * as feedbackStore from './feedback-store.ts';
import * as invoiceStore from './invoice-store.ts';

type Row = Record<string, unknown>;

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d);

/** Minor units as decimal text in major units (pg returns bigint as text or number). */
const major = (minor: unknown, currency: unknown) => majorText(minor, String(currency));

/** Column keys (= headers); XLSX types the money, date and timestamp ones (send-export.ts). */
const MONEY = new Set(['amount', 'monthlyValue', 'paid', 'balance']);
const DATES = new Set(['startDate', 'endDate', 'issuedOn', 'dueOn', 'expectedCloseOn', 'receivedOn']);
const TIMESTAMPS = new Set(['closedAt', 'createdAt', 'updatedAt']);
const columns = (...keys: string[]): ExportColumn[] =>
  keys.map((key) => {
    const type = MONEY.has(key)
      ? 'money'
      : DATES.has(key)
        ? 'date'
        : TIMESTAMPS.has(key)
          ? 'timestamp'
          : undefined;
    return type ? { key, header: key, type } : { key, header: key };
  });

export const CONTRACT_EXPORT_COLUMNS = columns(
  'id',
  'name',
  'clientId',
  'client',
  'amount',
  'currency',
  'billingInterval',
  'monthlyValue',
  'startDate',
  'endDate',
  'createdAt',
  'updatedAt',
);

export const INVOICE_EXPORT_COLUMNS = columns(
  'id',
  'number',
  'clientId',
  'client',
  'issuedOn',
  'dueOn',
  'amount',
  'paid',
  'balance',
  'currency',
  'status',
  'state',
  'createdAt',
  'updatedAt',
);

export const DEAL_EXPORT_COLUMNS = columns(
  'id',
  'title',
  'clientId',
  'client',
  'ownerEmail',
  'amount',
  'currency',
  'stage',
  'expectedCloseOn',
  'closedAt',
  'createdAt',
  'updatedAt',
);

export const FEEDBACK_EXPORT_COLUMNS = columns(
  'id',
  'clientId',
  'client',
  'projectId',
  'project',
  'score',
  'comment',
  'receivedOn',
  'createdAt',
  'updatedAt',
);

async function* mapRows<T>(rows: AsyncIterable<Row>, map: (row: Row) => T): AsyncGenerator<T> {
  for await (const row of rows) yield map(row);
}

export class BusinessExportService {
  private readonly deps: BusinessDeps;

  constructor(deps: BusinessDeps) {
    this.deps = deps;
  }

  async exportContracts(
    ctx: CallContext,
    q: contractStore.ContractFilters,
    sink: ExportSink,
  ): Promise<unknown> {
    await this.deps.audit.recordExport(ctx, { resource: 'contracts', format: sink.format, filters: q });
    return this.deps.db.transaction(tenantScope(ctx), async (tx) => {
      const { today } = await orgBook(tx, this.deps.tenancy);
      const { text, values } = contractStore.contractExportQuery(q, today);
      return sink.send({
        rows: mapRows(streamRows<Row>(tx, text, values), (r) => ({
          id: r.id,
          name: r.name,
          clientId: r.client_id,
          client: r.client_name,
          amount: major(r.amount_minor, r.currency),
          currency: r.currency,
          billingInterval: r.billing_interval,
          monthlyValue: major(r.monthly_value_minor, r.currency),
          startDate: r.start_date,
          endDate: r.end_date,
          createdAt: iso(r.created_at),
          updatedAt: iso(r.updated_at),
        })),
      });
    });
  }

  async exportInvoices(ctx: CallContext, q: invoiceStore.InvoiceFilters, sink: ExportSink): Promise<unknown> {
    await this.deps.audit.recordExport(ctx, { resource: 'invoices', format: sink.format, filters: q });
    return this.deps.db.transaction(tenantScope(ctx), async (tx) => {
      const { today } = await orgBook(tx, this.deps.tenancy);
      const { text, values } = invoiceStore.invoiceExportQuery(q, today);
      return sink.send({
        rows: mapRows(streamRows<Row>(tx, text, values), (r) => ({
          id: r.id,
          number: r.number,
          clientId: r.client_id,
          client: r.client_name,
          issuedOn: r.issued_on,
          dueOn: r.due_on,
          amount: major(r.amount_minor, r.currency),
          paid: major(r.paid_minor, r.currency),
          // as the API says: nothing is owed on a void invoice
          balance: major(r.status === 'void' ? 0 : Number(r.amount_minor) - Number(r.paid_minor), r.currency),
          currency: r.currency,
          status: r.status,
          state: r.state,
          createdAt: iso(r.created_at),
          updatedAt: iso(r.updated_at),
        })),
      });
    });
  }

  async exportDeals(ctx: CallContext, q: dealStore.DealFilters, sink: ExportSink): Promise<unknown> {
    await this.deps.audit.recordExport(ctx, { resource: 'deals', format: sink.format, filters: q });
    const { text, values } = dealStore.dealExportQuery(q);
    return this.deps.db.transaction(tenantScope(ctx), (tx) =>
      sink.send({
        rows: mapRows(streamRows<Row>(tx, text, values), (r) => ({
          id: r.id,
          title: r.title,
          clientId: r.client_id,
          client: r.client_name,
          ownerEmail: r.owner_email,
          amount: major(r.amount_minor, r.currency),
          currency: r.currency,
          stage: r.stage,
          expectedCloseOn: r.expected_close_on,
          closedAt: iso(r.closed_at),
          createdAt: iso(r.created_at),
          updatedAt: iso(r.updated_at),
        })),
      }),
    );
  }

  async exportFeedback(
    ctx: CallContext,
    q: feedbackStore.FeedbackFilters,
    sink: ExportSink,
  ): Promise<unknown> {
    await this.deps.audit.recordExport(ctx, { resource: 'feedback', format: sink.format, filters: q });
    const { text, values } = feedbackStore.feedbackExportQuery(q);
    return this.deps.db.transaction(tenantScope(ctx), (tx) =>
      sink.send({
        rows: mapRows(streamRows<Row>(tx, text, values), (r) => ({
          id: r.id,
          clientId: r.client_id,
          client: r.client_name,
          projectId: r.project_id,
          project: r.project_name,
          score: r.score,
          comment: r.comment,
          receivedOn: r.received_on,
          createdAt: iso(r.created_at),
          updatedAt: iso(r.updated_at),
        })),
      }),
    );
  }
}
