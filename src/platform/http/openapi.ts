// The OpenAPI 3.1 document is generated from the route schemas (the single source of contracts)
// and served at /docs (Swagger UI) and /docs/json. Each operation states the permission it needs,
// its operationId and its problem answers (derived in openapi-operations.ts), and the headers
// that the prose mentions. `test/openapi.test.ts` lints the document with Redocly and Spectral.
import { STATUS_CODES } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors.ts';
import {
  derivedOperationId,
  problemResponses,
  routeProblems,
  shareProblemResponses,
} from './openapi-operations.ts';
import type { RouteAccess } from './request-context.ts';
import { docsContentSecurityPolicy } from './security-headers.ts';

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string', description: 'urn:bul:error:<code>; see GET /api/v1/errors' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The request id' },
    traceId: {
      type: 'string',
      description:
        'The trace of the request (32 hex digits), when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT)',
    },
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
  examples: [
    {
      type: 'urn:bul:error:not-found',
      title: 'Not found',
      status: 404,
      detail: 'client 01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f does not exist',
      instance: '7d2c3b1e-5f4a-4e8b-9c6d-1a2b3c4d5e6f',
    },
  ],
};

/** The operation groups, in the order Swagger UI shows them. */
const TAGS = [
  { name: 'auth', description: 'Sign-up, sign-in, tokens and sessions, the signed-in user' },
  { name: 'mfa', description: 'Two-factor authentication (TOTP) of the signed-in user' },
  { name: 'api-keys', description: "The signed-in user's API keys" },
  { name: 'organization', description: 'The current organization, its plan and usage' },
  { name: 'members', description: 'Members of the organization and invitations' },
  { name: 'departments', description: 'Departments of the organization' },
  { name: 'roles', description: 'Roles and the permission catalogue' },
  { name: 'security', description: "The organization's IP rules" },
  { name: 'audit', description: "The organization's audit trail" },
  { name: 'events', description: 'Domain events: the handler runs that failed, and their retry' },
  { name: 'clients', description: 'Clients, their contacts and status history' },
  { name: 'projects', description: 'Projects, milestones and expenses' },
  { name: 'tasks', description: 'Tasks, comments, time entries, watchers and attachments' },
  { name: 'contracts', description: 'Contracts with clients' },
  { name: 'invoices', description: 'Invoices and their payments' },
  { name: 'deals', description: 'Sales deals and the pipeline' },
  { name: 'feedback', description: 'Client feedback' },
  { name: 'analytics', description: 'Dashboard, reports and executive metrics' },
  { name: 'webhooks', description: 'Outbound webhook endpoints, their deliveries and attempts' },
  {
    name: 'notifications',
    description:
      'Notifications on every channel: channels and their providers, templates with versions, rules, preferences, sending and broadcasting, the delivery log, analytics, the inbox; provider callbacks and unsubscribe',
  },
  {
    name: 'alerts',
    description:
      'Alert rules over the monitoring metrics (per organization, or platform-wide for super admins), alerts with acknowledgement, resolution, silences and history, the 24 h preview, the executive alert summary',
  },
  {
    name: 'backups',
    description:
      'Backups of the installation: runs with live progress, schedules, retention, verification, drills; restores of everything, some tables or one organization (org admins: their own, as the restore policy allows)',
  },
  { name: 'platform', description: 'Installation-wide administration (super admins)' },
  { name: 'system', description: 'Health, readiness, metrics, the error catalogue and signing keys' },
  {
    name: 'monitoring',
    description: 'The metrics history: series per step, the metric catalogue, capacity projections',
  },
];

/** Headers the prose describes, declared where they apply (documentation only: checked in code). */
const ORGANIZATION_HEADER = {
  type: 'string',
  format: 'uuid',
  description:
    'The organization to act in, for a member of several (default: the one the session was opened for; an API key belongs to one).',
};
const CSRF_HEADER = {
  type: 'string',
  description:
    'With the session cookie only: the `csrfToken` that the cookie login answered (also in the `bul_csrf` cookie). Writes without it are refused with 403 `csrf-failed`.',
};
const IDEMPOTENCY_HEADER = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[!-~]+$',
  description:
    'Runs the request once: retries with the same key and body get the first answer again (`Idempotent-Replayed: true`) for 24 hours; the same key with another request is 422 `idempotency-key-reused`, and a retry while the first still runs is 409.',
};

/** The one file field of a multipart upload (`receiveUpload`). */
const UPLOAD_BODY = {
  type: 'object',
  required: ['file'],
  properties: {
    file: {
      type: 'string',
      format: 'binary',
      contentMediaType: 'application/octet-stream',
      description: 'The file (exactly one, in the field `file`).',
    },
  },
};

interface RouteSchema {
  hide?: boolean;
  operationId?: string;
  summary?: string;
  description?: string;
  consumes?: string[];
  params?: unknown;
  querystring?: unknown;
  body?: unknown;
  headers?: { properties?: Record<string, unknown>; required?: string[] };
  response?: Record<string, Record<string, unknown>>;
}

/** The documented form of one route: operationId, headers, upload body, answers and access. */
function documentRoute(schema: RouteSchema, route: RouteOptions, url: string): Record<string, unknown> {
  const method = String(route.method).toUpperCase();
  const config = route.config as { access?: RouteAccess; problems?: readonly ErrorCode[] } | undefined;
  const access = config?.access;
  const signedIn = access !== undefined && !('public' in access);
  const multipart = schema.consumes?.includes('multipart/form-data') ?? false;
  const out: Record<string, unknown> = { ...schema };

  const operationId = schema.operationId ?? derivedOperationId(method, url);
  if (operationId) out.operationId = operationId;

  const headers: Record<string, unknown> = { ...(schema.headers?.properties ?? {}) };
  if (signedIn) {
    headers['X-Organization-ID'] = ORGANIZATION_HEADER;
    if (method !== 'GET') headers['X-CSRF-Token'] = CSRF_HEADER;
    if (method === 'POST' && !multipart) headers['Idempotency-Key'] = IDEMPOTENCY_HEADER;
  }
  if (Object.keys(headers).length > 0)
    out.headers = { type: 'object', properties: headers, required: schema.headers?.required ?? [] };
  if (multipart && !schema.body) out.body = UPLOAD_BODY;

  const summary = schema.summary ?? '';
  const response: Record<string, unknown> = {};
  // A route without a response schema (its answer is not JSON): documented, not serialized.
  if (!schema.response) response['200'] = { type: 'string', 'x-response-description': `OK: ${summary}` };
  for (const [status, answer] of Object.entries(schema.response ?? {})) {
    response[status] =
      answer.description || answer['x-response-description']
        ? answer
        : { ...answer, 'x-response-description': `${STATUS_CODES[Number(status)] ?? status}: ${summary}` };
  }
  const problems = routeProblems({
    method,
    url,
    access,
    problems: config?.problems ?? [],
    hasParams: Boolean(schema.params) || url.includes(':'),
    hasQuery: Boolean(schema.querystring),
    hasJsonBody: Boolean(schema.body),
    multipart,
    ifMatch: Boolean(schema.headers?.properties?.['if-match']),
  });
  for (const [status, answer] of Object.entries(problemResponses(problems)))
    if (!(status in response)) response[status] = answer;
  out.response = response;

  const said = schema.description ? `${schema.description}\n\n` : '';
  if (signedIn) {
    out.security = [{ bearer: [] }, { session: [] }];
    const needs = 'permission' in access ? access.permission : 'any signed-in user';
    out['x-permission'] = needs;
    out.description = `${said}**Requires:** \`${needs}\``;
  } else {
    out.security = [];
    out.description = `${said}**Public:** no authentication.`;
  }
  return out;
}

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
        license: { name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' },
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
      // Relative: the document is served by the installation it describes, so Swagger UI's
      // "Try it out" calls the origin the page was opened at (localhost, 127.0.0.1, a LAN name or
      // PUBLIC_URL alike) and stays within the page's CSP connect-src 'self'.
      servers: [{ url: '/', description: 'This installation' }],
      tags: TAGS,
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
    transformObject: (documents) =>
      shareProblemResponses((documents as { openapiObject: object }).openapiObject),
    transform: ({ schema, url, route }) => {
      if (!schema || (schema as RouteSchema).hide) return { schema, url };
      return { schema: documentRoute(schema as RouteSchema, route, url) as never, url };
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Over plain http (a laptop, a LAN address) upgrading requests to https would break the page.
    staticCSP: docsContentSecurityPolicy({ https }),
    // No badge fetched from validator.swagger.io: the page talks to this installation only. The
    // tags start collapsed, with a filter: rendering all 143 operations at once took Chromium
    // tens of seconds on a loaded machine.
    uiConfig: { deepLinking: true, validatorUrl: null, docExpansion: 'none', filter: true },
  });
}
