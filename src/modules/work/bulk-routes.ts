// HTTP routes for bulk work: `GET /<resource>/export` (CSV, XLSX or JSON of every row matching the
// list's filters, streamed) and `POST /<resource>/import` (CSV or XLSX upload, dry run or commit).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type TObject, Type } from 'typebox';
import type { Config } from '../../config.ts';
import { type ExportColumn, type ExportFormat, sendExport } from '../../platform/export/send-export.ts';
import { StringEnum } from '../../platform/http/common-schemas.ts';
import { type Permission, requires } from '../../platform/http/permissions.ts';
import { type CallContext, callContext } from '../../platform/http/request-context.ts';
import { receiveUpload } from '../../platform/http/uploads.ts';
import { readTable, type Table } from '../../platform/import/read-table.ts';
import {
  CLIENT_EXPORT_COLUMNS,
  type ExportSink,
  type ImportReport,
  PROJECT_EXPORT_COLUMNS,
  TASK_EXPORT_COLUMNS,
} from './bulk-service.ts';
import { ClientListQuery } from './client-schemas.ts';
import { ProjectListQuery } from './project-schemas.ts';
import type { WorkService } from './service.ts';
import { TaskListQuery } from './task-schemas.ts';

/** A list's filters (no paging or sort) plus the export format. */
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

const ImportQuery = Type.Object(
  {
    dryRun: Type.Optional(
      Type.Boolean({ default: false, description: 'Check every row and report, store nothing.' }),
    ),
  },
  { additionalProperties: false },
);

const RowErrorSchema = Type.Object({ row: Type.Integer(), column: Type.String(), message: Type.String() });
const ImportReportSchema = Type.Object({
  dryRun: Type.Boolean(),
  rowCount: Type.Integer({ description: 'Data rows in the file.' }),
  created: Type.Integer({ description: 'Records created (a dry run: records a commit would create).' }),
  valid: Type.Boolean(),
  errorCount: Type.Integer(),
  rowErrors: Type.Array(RowErrorSchema, { description: 'Every bad cell: row 1 is the header.' }),
});

const Binary = Type.Unsafe<unknown>({ type: 'string', format: 'binary' });

interface Resource {
  path: string;
  tag: string;
  what: string;
  listQuery: TObject;
  columns: ExportColumn[];
  read: Permission;
  manage: Permission;
  importColumns: string;
  exportRows: (ctx: CallContext, filters: never, sink: ExportSink) => Promise<unknown>;
  importRows: (ctx: CallContext, table: Table, opts: { dryRun: boolean }) => Promise<ImportReport>;
}

export const bulkRoutes: FastifyPluginAsyncTypebox<{ work: WorkService; config: Config }> = async (
  app,
  { work, config },
) => {
  const { bulk } = work;
  const resources: Resource[] = [
    {
      path: '/clients',
      tag: 'clients',
      what: 'clients',
      listQuery: ClientListQuery,
      columns: CLIENT_EXPORT_COLUMNS,
      read: 'clients:read',
      manage: 'clients:manage',
      importColumns:
        'name (required), status (lead|active|churned), ownerEmail (a member), email, phone, website, notes, tags (comma-separated)',
      exportRows: (ctx, q, sink) => bulk.exportClients(ctx, q, sink),
      importRows: (ctx, table, opts) => bulk.importClients(ctx, table, opts),
    },
    {
      path: '/projects',
      tag: 'projects',
      what: 'projects',
      listQuery: ProjectListQuery,
      columns: PROJECT_EXPORT_COLUMNS,
      read: 'projects:read',
      manage: 'projects:manage',
      importColumns:
        "name (required), description, status (planning|active|on_hold|completed|cancelled: an import restores exported projects in any status), client (a client's name), ownerEmail, budget (decimal, e.g. 1234.50, in the organization's currency), currency, startDate, dueDate (YYYY-MM-DD), tags, progressOverride (0-100), completedAt (ISO 8601 date-time, UTC without a zone; only for a completed project, now if empty)",
      exportRows: (ctx, q, sink) => bulk.exportProjects(ctx, q, sink),
      importRows: (ctx, table, opts) => bulk.importProjects(ctx, table, opts),
    },
    {
      path: '/tasks',
      tag: 'tasks',
      what: 'tasks',
      listQuery: TaskListQuery,
      columns: TASK_EXPORT_COLUMNS,
      read: 'tasks:read',
      manage: 'tasks:manage',
      importColumns:
        "project (required, a project's name), title (required), description, assigneeEmail, priority (low|medium|high|urgent), status (pending|active|completed|cancelled), dueDate, estimateMinutes, tags, completedAt (ISO 8601 date-time; only for a completed task, now if empty)",
      exportRows: (ctx, q, sink) => bulk.exportTasks(ctx, q, sink),
      importRows: (ctx, table, opts) => bulk.importTasks(ctx, table, opts),
    },
  ];

  for (const r of resources) {
    app.get(
      `${r.path}/export`,
      {
        schema: {
          operationId: `export${r.what.charAt(0).toUpperCase()}${r.what.slice(1)}`,
          tags: [r.tag],
          summary: `Export every ${r.what.slice(0, -1)} matching the list filters (CSV, XLSX or JSON, streamed)`,
          description: `Takes the same filters as \`GET /api/v1${r.path}\` and streams all matching rows, oldest first, in constant memory. Columns: ${r.columns.map((c) => c.header).join(', ')}. CSV cells that a spreadsheet would run as formulas are prefixed with ' (imports take it off). In XLSX, amounts are numbers in major units with the currency's format, and days and times (UTC) are dates.`,
          querystring: exportQuery(r.listQuery),
          produces: [
            'text/csv',
            'application/json',
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          ],
          response: { 200: Binary },
        },
        config: { access: requires(r.read) },
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

    app.post(
      `${r.path}/import`,
      {
        schema: {
          operationId: `import${r.what.charAt(0).toUpperCase()}${r.what.slice(1)}`,
          tags: [r.tag],
          summary: `Import ${r.what} from a CSV or XLSX file (multipart field \`file\`)`,
          description: `Columns (header row; case, spaces, _ and - are ignored; columns that exports add, like id and createdAt, are ignored): ${r.importColumns}. CSV: UTF-8, columns separated by commas, semicolons or tabs (found from the header row). A cell that an export prefixed with ' (text starting with = + - @, a tab or CR) loses that ', in CSV and XLSX alike. Every row is checked with the same rules as the API. All or nothing: if any row is bad nothing is stored and the answer is 422 \`import-invalid\` with \`rowErrors\` [{row, column, message}]. With \`dryRun=true\` the rows are checked the same way, nothing is stored, and the report (200) lists the problems. At most IMPORT_MAX_ROWS rows; files up to MAX_UPLOAD_SIZE; a file whose content is not what its extension says is 415 \`unsupported-file\`; a damaged file, or an XLSX that would expand beyond safe limits (zip bomb), is 422 \`invalid-file\`.`,
          consumes: ['multipart/form-data'],
          querystring: ImportQuery,
          response: { 200: ImportReportSchema, 201: ImportReportSchema },
        },
        config: { access: requires(r.manage), problems: ['import-invalid', 'invalid-file'] },
      },
      async (request, reply) => {
        const ctx = callContext(request);
        const dryRun = (request.query as { dryRun?: boolean }).dryRun ?? false;
        const file = await receiveUpload(request, {
          dir: work.files.incoming,
          allowedExtensions: ['csv', 'xlsx'],
          maxBytes: config.maxUploadSize,
        });
        let report: ImportReport;
        try {
          const table = await readTable(
            { path: file.path, extension: file.extension as 'csv' | 'xlsx' },
            { maxRows: config.importMaxRows },
          );
          report = await r.importRows(ctx, table, { dryRun });
        } finally {
          await file.discard(); // before answering: nothing of the upload outlives the request
        }
        return reply.code(dryRun ? 200 : 201).send(report);
      },
    );
  }
};
