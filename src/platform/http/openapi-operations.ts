// What the OpenAPI document says about each operation beyond its schemas, derived from what the
// route declares, so that 143 routes do not each repeat it by hand:
//  - operationId: a route's own `schema.operationId`, else derived from method and path for the
//    plain resource shapes (GET /clients → listClients, GET /clients/{id} → getClient,
//    POST /clients/{id}/contacts → createClientContact). Anything else (actions such as
//    /auth/login, singletons such as /organization, PUT) must name itself; a test fails on an
//    operation without one or on two that share one, and generated clients keep the names.
//  - the error answers (problem+json): from access (signed in → 401/403), path parameters (404),
//    inputs (400), a JSON or multipart body (413/415), If-Match (412), writes (409), the rate
//    limits (429), plus the error types the route lists in `config.problems`.
import { ERROR_CATALOGUE, type ErrorCode } from '../errors.ts';
import type { RouteAccess } from './request-context.ts';

/** Collections that the derived ids know, plural path segment → singular name. */
const RESOURCES: Record<string, string> = {
  'api-keys': 'apiKey',
  attachments: 'attachment',
  clients: 'client',
  comments: 'comment',
  contacts: 'contact',
  contracts: 'contract',
  deals: 'deal',
  departments: 'department',
  expenses: 'expense',
  feedback: 'feedback',
  invitations: 'invitation',
  invoices: 'invoice',
  'ip-rules': 'ipRule',
  members: 'member',
  milestones: 'milestone',
  organizations: 'organization',
  payments: 'payment',
  permissions: 'permission',
  plans: 'plan',
  projects: 'project',
  roles: 'role',
  tasks: 'task',
  'time-entries': 'timeEntry',
  watchers: 'watcher',
};

const camel = (segment: string) => segment.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
const pascal = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/**
 * The operation id of a plain resource route, or undefined when the path is not one (the route
 * must then give `schema.operationId`). Paths alternate collection and parameter segments.
 */
export function derivedOperationId(method: string, url: string): string | undefined {
  const segments = url
    .replace(/^\/api\/v1(?=\/)/, '')
    .split('/')
    .filter(Boolean);
  if (segments.length === 0 || segments.length > 4) return undefined;
  const names: string[] = [];
  for (const [i, segment] of segments.entries()) {
    const isParam = segment.startsWith(':') || segment.startsWith('{');
    if (i % 2 === 1) {
      if (!isParam) return undefined;
    } else if (isParam || !(segment in RESOURCES)) {
      return undefined;
    }
    if (!isParam) names.push(segment);
  }
  const item = segments.length % 2 === 0;
  const last = names.at(-1)!;
  const parents = names
    .slice(0, -1)
    .map((n) => pascal(RESOURCES[n]!))
    .join('');
  const one = `${parents}${pascal(RESOURCES[last]!)}`;
  const verb = (item ? { GET: 'get', PATCH: 'update', DELETE: 'delete' } : { GET: 'list', POST: 'create' })[
    method.toUpperCase() as 'GET'
  ];
  if (!verb) return undefined;
  return verb === 'list' ? `list${parents}${pascal(camel(last))}` : `${verb}${one}`;
}

export interface RouteFacts {
  method: string;
  url: string;
  access: RouteAccess | undefined;
  /** Error types the route's service answers beyond what its declaration implies. */
  problems: readonly ErrorCode[];
  hasParams: boolean;
  hasQuery: boolean;
  hasJsonBody: boolean;
  multipart: boolean;
  ifMatch: boolean;
}

/** Paths the request pipeline lets through without IP rules (the load balancer's probes). */
const PROBES = new Set(['/health', '/ready']);

/** Every error type the route can answer, in catalogue order. */
export function routeProblems(r: RouteFacts): ErrorCode[] {
  const codes = new Set<ErrorCode>(r.problems);
  const api = r.url.startsWith('/api/');
  const signedIn = r.access !== undefined && !('public' in r.access);
  const write = r.method !== 'GET' && r.method !== 'HEAD';
  if (!PROBES.has(r.url)) codes.add('ip-blocked');
  if (api) codes.add('rate-limited');
  if (signedIn) {
    for (const c of [
      'unauthenticated',
      'invalid-token',
      'forbidden',
      'account-disabled',
      'organization-suspended',
      'request-quota-exceeded',
      'validation-failed', // a malformed X-Organization-ID
    ] as const)
      codes.add(c);
    if (r.access && 'duringMfaEnrollment' in r.access && r.access.duringMfaEnrollment) {
      // allowed while enrolling: no mfa-enrollment-required
    } else codes.add('mfa-enrollment-required');
    if (write) codes.add('csrf-failed');
    if (r.method === 'POST' && !r.multipart) {
      codes.add('conflict'); // the same Idempotency-Key still running
      codes.add('idempotency-key-reused');
    }
  }
  if (r.hasParams) {
    codes.add('validation-failed');
    codes.add('not-found');
  }
  if (r.hasQuery) codes.add('validation-failed');
  if (r.hasJsonBody) {
    for (const c of [
      'validation-failed',
      'malformed-json',
      'payload-too-large',
      'unsupported-media-type',
    ] as const)
      codes.add(c);
  }
  if (r.multipart) {
    for (const c of [
      'validation-failed',
      'payload-too-large',
      'unsupported-media-type',
      'unsupported-file',
    ] as const)
      codes.add(c);
  }
  if (r.ifMatch) {
    codes.add('validation-failed');
    codes.add('precondition-failed');
  }
  // Writes can collide with other records (unique keys, references) or concurrent changes.
  if (write && api) codes.add('conflict');
  const order = Object.keys(ERROR_CATALOGUE) as ErrorCode[];
  return order.filter((c) => codes.has(c) && ERROR_CATALOGUE[c].status < 500);
}

/** The problem answers of an operation, by status: a description naming each error type. */
export function problemResponses(codes: readonly ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) {
    const status = ERROR_CATALOGUE[c].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), c]);
  }
  const out: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: list.map((c) => `\`${c}\`: ${ERROR_CATALOGUE[c].title}`).join('; '),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return out;
}

interface Doc {
  paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  components?: { responses?: Record<string, unknown> };
}

/**
 * Moves the problem answers into `components.responses`, one per status and set of error types
 * (`404.not-found`), referenced from the operations: 33 distinct answers were repeated 868 times,
 * nearly doubling the document that Swagger UI renders and clients are generated from.
 */
export function shareProblemResponses<T extends Doc>(doc: T): T {
  const shared: Record<string, unknown> = {};
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item)) {
      for (const [status, answer] of Object.entries(op.responses ?? {})) {
        const r = answer as { description?: string; content?: Record<string, unknown> };
        if (!r.content?.['application/problem+json'] || Object.keys(r.content).length !== 1) continue;
        const codes = [...(r.description ?? '').matchAll(/`([a-z-]+)`/g)].map((m) => m[1]);
        const name = [status, ...codes].join('.');
        shared[name] ??= r;
        op.responses![status] = { $ref: `#/components/responses/${name}` };
      }
    }
  }
  doc.components = { ...doc.components, responses: { ...doc.components?.responses, ...shared } };
  return doc;
}
