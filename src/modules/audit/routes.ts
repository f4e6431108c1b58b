// HTTP routes of the audit trail.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sendExport } from '../../platform/export/send-export.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { AuditEvent, AuditExportQuery, AuditIntegrity, AuditSearchQuery } from './schemas.ts';
import { AUDIT_EXPORT_COLUMNS, type AuditService } from './service.ts';

export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditService }> = async (app, { audit }) => {
  app.get(
    '/audit/search',
    {
      schema: {
        operationId: 'searchAuditEvents',
        tags: ['audit'],
        summary: "Search the organization's audit trail, newest first",
        querystring: AuditSearchQuery,
        response: { 200: Page(AuditEvent) },
      },
      config: { access: requires('audit:read') },
    },
    async (request) => audit.search(callContext(request), request.query),
  );

  app.get(
    '/audit/export',
    {
      schema: {
        operationId: 'exportAuditEvents',
        tags: ['audit'],
        summary: 'Export the audit events matching the search filters (CSV, XLSX or JSON, streamed)',
        description: `Takes the filters of \`GET /api/v1/audit/search\` and streams every matching event, oldest first (chain order), in constant memory. Columns: ${AUDIT_EXPORT_COLUMNS.map((c) => c.key).join(', ')}; changes and metadata are JSON text. CSV cells that a spreadsheet would run as formulas are prefixed with '.`,
        querystring: AuditExportQuery,
        produces: [
          'text/csv',
          'application/json',
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        ],
        response: { 200: Type.Unsafe<unknown>({ type: 'string', format: 'binary' }) },
      },
      config: { access: requires('audit:read') },
    },
    async (request, reply) => {
      const { format = 'csv', ...filters } = request.query; // validation fills the default in
      const stamp = new Date().toISOString().slice(0, 10);
      await audit.exportEvents(callContext(request), filters, {
        format,
        send: (source) =>
          sendExport(reply, { format, fileName: `audit-${stamp}`, columns: AUDIT_EXPORT_COLUMNS, ...source }),
      });
      return reply;
    },
  );

  app.get(
    '/audit/integrity',
    {
      schema: {
        operationId: 'checkAuditIntegrity',
        tags: ['audit'],
        summary: "Walk the organization's hash chain and report the first broken event",
        description:
          "The same check as `bul audit verify --org <id>`: detects events edited, deleted, inserted or reordered behind BUL's back.",
        response: { 200: AuditIntegrity },
      },
      config: { access: requires('audit:read') },
    },
    async (request) => audit.integrity(callContext(request)),
  );

  app.get(
    '/admin/audit/search',
    {
      schema: {
        operationId: 'searchAllAuditEvents',
        tags: ['platform'],
        summary: 'Search platform-level events (failed logins for unknown accounts, global rules)',
        querystring: AuditSearchQuery,
        response: { 200: Page(AuditEvent) },
      },
      config: { access: requires('platform:admin') },
    },
    async (request) => audit.search(callContext(request), request.query, true),
  );
};
