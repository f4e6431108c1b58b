// HTTP routes of threat detection: the threats, one threat, its dismissal, the dashboard.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { ScopeQuery, SecurityDashboard, Threat, ThreatQuery } from './schemas.ts';
import type { SecurityServices } from './service.ts';

const READ = { access: requires('security:read') };
const tags = ['security'];

export const securityRoutes: FastifyPluginAsyncTypebox<{ security: SecurityServices }> = async (
  app,
  { security },
) => {
  app.get(
    '/security/threats',
    {
      schema: {
        operationId: 'listSecurityThreats',
        tags,
        summary: 'Threats BUL detected, newest first',
        description:
          'Failed-login bursts, credential stuffing, new login locations, impossible travel, refresh-token reuse, API keys used from new networks, permission escalations, mass deletes and exports (docs/security.md). `scope=platform` (super admins): threats of no organization.',
        querystring: ThreatQuery,
        response: { 200: Page(Threat) },
      },
      config: READ,
    },
    async (request) => security.threats.list(callContext(request), request.query),
  );

  app.get(
    '/security/threats/:id',
    {
      schema: {
        operationId: 'getSecurityThreat',
        tags,
        summary: 'A threat with its evidence',
        params: IdParams,
        querystring: ScopeQuery,
        response: { 200: Threat },
      },
      config: READ,
    },
    async (request) => security.threats.get(callContext(request), request.params.id, request.query.scope),
  );

  app.post(
    '/security/threats/:id/dismiss',
    {
      schema: {
        operationId: 'dismissSecurityThreat',
        tags,
        summary: 'Dismiss a threat (seen; nothing to do)',
        params: IdParams,
        querystring: ScopeQuery,
        response: { 200: Threat },
      },
      config: { ...READ, problems: ['conflict'] },
    },
    async (request) => security.threats.dismiss(callContext(request), request.params.id, request.query.scope),
  );

  app.get(
    '/security/dashboard',
    {
      schema: {
        operationId: 'getSecurityDashboard',
        tags,
        summary: 'Threats, failed logins, lockouts, MFA coverage and active sessions over 24 h and 7 days',
        querystring: ScopeQuery,
        response: { 200: SecurityDashboard },
      },
      config: READ,
    },
    async (request) => security.dashboard.dashboard(callContext(request), request.query),
  );
};
