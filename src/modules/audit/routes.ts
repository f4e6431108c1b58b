// HTTP routes of the audit trail.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Page } from '../../platform/http/pagination.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { requires } from '../access/catalogue.ts';
import { AuditEvent, AuditIntegrity, AuditSearchQuery } from './schemas.ts';
import type { AuditService } from './service.ts';

export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditService }> = async (app, { audit }) => {
  app.get(
    '/audit/search',
    {
      schema: {
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
    '/audit/integrity',
    {
      schema: {
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
