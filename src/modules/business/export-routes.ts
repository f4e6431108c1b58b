// HTTP routes for business exports: `GET /<resource>/export` streams every contract, invoice, deal
// or feedback matching the list's filters as CSV, XLSX or JSON, through the same writer as the work
// exports (platform/export/send-export.ts). Reading a list is enough to export it (business:read).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type TObject, Type } from 'typebox';
import { type ExportColumn, type ExportFormat, sendExport } from '../../platform/export/send-export.ts';
import { StringEnum } from '../../platform/http/common-schemas.ts';
import { requires } from '../../platform/http/permissions.ts';
import { type CallContext, callContext } from '../../platform/http/request-context.ts';
import type { ExportSink } from '../work/service.ts';
import { ContractListQuery } from './contract-schemas.ts';
import { DealListQuery } from './deal-schemas.ts';
import {
  CONTRACT_EXPORT_COLUMNS,
  DEAL_EXPORT_COLUMNS,
  FEEDBACK_EXPORT_COLUMNS,
  INVOICE_EXPORT_COLUMNS,
} from './export-service.ts';
import { FeedbackListQuery } from './feedback-schemas.ts';
import { InvoiceListQuery } from './invoice-schemas.ts';
import type { BusinessService } from './service.ts';

/** A list's filters (no paging or sort) plus the export format, as the work exports take them. */
function exportQuery<T extends TObject>(listQuery: T) {
  const { limit: _l, cursor: _c, sort: _s, ...filters } = listQuery.properties as Record<string, never>;
  return Type.Object(
    {
      ...filters,
      // Optional with a default (filled in by validation): a required parameter cannot have one.
      format: Type.Optional(
        StringEnum(['csv', 'xlsx', 'json'] as const, { default: 'csv', description: 'File format.' }),
      ),
    },
    { additionalProperties: false },
  );
}

const Binary = Type.Unsafe<unknown>({ type: 'string', format: 'binary' });

interface Resource {
  path: string;
  tag: string;
  /** Plural, for the file name. */
  what: string;
  one: string;
  listQuery: TObject;
  columns: ExportColumn[];
  note: string;
  exportRows: (ctx: CallContext, filters: never, sink: ExportSink) => Promise<unknown>;
}

const AMOUNTS =
  "Amounts are decimals in major units of `currency` (e.g. 1234.50); in XLSX they are numbers with the currency's format, and days and times are dates.";

export const businessExportRoutes: FastifyPluginAsyncTypebox<{ business: BusinessService }> = async (
  app,
  { business },
) => {
  const { exports } = business;
  const resources: Resource[] = [
    {
      path: '/contracts',
      tag: 'contracts',
      what: 'contracts',
      one: 'contract',
      listQuery: ContractListQuery,
      columns: CONTRACT_EXPORT_COLUMNS,
      note: `${AMOUNTS} monthlyValue is the contract's contribution to MRR.`,
      exportRows: (ctx, q, sink) => exports.exportContracts(ctx, q, sink),
    },
    {
      path: '/invoices',
      tag: 'invoices',
      what: 'invoices',
      one: 'invoice',
      listQuery: InvoiceListQuery,
      columns: INVOICE_EXPORT_COLUMNS,
      note: `${AMOUNTS} paid is the sum of the payments, balance what remains (0 for a void invoice); state as in the list.`,
      exportRows: (ctx, q, sink) => exports.exportInvoices(ctx, q, sink),
    },
    {
      path: '/deals',
      tag: 'deals',
      what: 'deals',
      one: 'deal',
      listQuery: DealListQuery,
      columns: DEAL_EXPORT_COLUMNS,
      note: AMOUNTS,
      exportRows: (ctx, q, sink) => exports.exportDeals(ctx, q, sink),
    },
    {
      path: '/feedback',
      tag: 'feedback',
      what: 'feedback',
      one: 'feedback',
      listQuery: FeedbackListQuery,
      columns: FEEDBACK_EXPORT_COLUMNS,
      note: 'score is 1 (worst) to 5 (best).',
      exportRows: (ctx, q, sink) => exports.exportFeedback(ctx, q, sink),
    },
  ];

  for (const r of resources) {
    app.get(
      `${r.path}/export`,
      {
        schema: {
          operationId: `export${r.what.charAt(0).toUpperCase()}${r.what.slice(1)}`,
          tags: [r.tag],
          summary: `Export every ${r.one} matching the list filters (CSV, XLSX or JSON, streamed)`,
          description: `Takes the same filters as \`GET /api/v1${r.path}\` and streams all matching rows, oldest first, in constant memory. Columns: ${r.columns.map((c) => c.header).join(', ')}. ${r.note} CSV cells that a spreadsheet would run as formulas are prefixed with '.`,
          querystring: exportQuery(r.listQuery),
          produces: [
            'text/csv',
            'application/json',
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          ],
          response: { 200: Binary },
        },
        config: { access: requires('business:read') },
      },
      async (request: FastifyRequest, reply: FastifyReply) => {
        const { format, ...filters } = request.query as { format: ExportFormat } & Record<string, unknown>;
        const stamp = new Date().toISOString().slice(0, 10);
        await r.exportRows(callContext(request), filters as never, {
          format,
          send: (source) =>
            sendExport(reply, { format, fileName: `${r.what}-${stamp}`, columns: r.columns, ...source }),
        });
        return reply;
      },
    );
  }
};
