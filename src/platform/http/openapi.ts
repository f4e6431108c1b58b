// The OpenAPI 3.1 document is generated from the route schemas (the single source of contracts)
// and served at /docs (Swagger UI) and /docs/json. Each operation states the permission it needs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ERROR_CATALOGUE } from '../errors.ts';
import type { RouteAccess } from './request-context.ts';

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string', description: 'urn:bul:error:<code>; see GET /api/v1/errors' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The request id' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          field: { type: 'string' },
          in: { type: 'string' },
          rule: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
  additionalProperties: true,
};

function errorTable(): string {
  const rows = Object.entries(ERROR_CATALOGUE).map(
    ([code, e]) => `| \`${code}\` | ${e.status} | ${e.description} |`,
  );
  return ['| type (urn:bul:error:…) | status | meaning |', '|---|---|---|', ...rows].join('\n');
}

export async function registerOpenApi(
  app: FastifyInstance,
  opts: { version: string; publicUrl: string },
): Promise<void> {
  const https = opts.publicUrl.startsWith('https:');
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'BUL API',
        version: opts.version,
        description: [
          'BUL is a self-hosted, multi-tenant enterprise operations platform. All routes are JSON under `/api/v1`.',
          '',
          '**Authentication**: `Authorization: Bearer <access token or API key>`, or the browser session cookie (writes then need `X-CSRF-Token`). Pick the organization with `X-Organization-ID` (default: the one the session was opened for).',
          '',
          '**Lists** answer `{ items, nextCursor }`; pass `?cursor=<nextCursor>&limit=1..200`. **Updates** honour `If-Match: "<version>"` (412 when stale). **Retries**: an authenticated POST with `Idempotency-Key: <key>` runs once; retries with the same key and body get the first answer again (`Idempotent-Replayed: true`) for 24 hours.',
          '',
          '**Errors** are `application/problem+json` with a stable `type`:',
          '',
          errorTable(),
        ].join('\n'),
      },
      servers: [{ url: opts.publicUrl }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT or API key',
            description: 'Access token from /auth/login, or an API key (bul_…)',
          },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'bul_session',
            description: 'Browser session (login with `session: "cookie"`)',
          },
        },
        schemas: { Problem: PROBLEM_SCHEMA as never },
      },
    },
    transform: ({ schema, url, route }) => {
      const access = (route.config as { access?: RouteAccess } | undefined)?.access;
      const out: Record<string, unknown> = { ...(schema as object) };
      if (access && !('public' in access)) {
        out.security = [{ bearer: [] }, { session: [] }];
        const needs = 'permission' in access ? access.permission : 'any signed-in user';
        out['x-permission'] = needs;
        out.description = `${(schema as { description?: string })?.description ? `${(schema as { description?: string }).description}\n\n` : ''}**Requires:** \`${needs}\``;
      } else {
        out.security = [];
      }
      return { schema: out as never, url };
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Over plain http (a laptop, a LAN address) upgrading requests to https would break the page.
    transformStaticCSP: (header) => (https ? header : header.replace(/\s*upgrade-insecure-requests;?/, '')),
    uiConfig: { deepLinking: true },
  });
}
