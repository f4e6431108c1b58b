// The OpenAPI document at /docs/json as generated clients and Swagger UI read it: every operation
// has a unique, meaningful operationId and documents its problem answers (and the server really
// answers only documented problems); uploads have a request body; the headers the prose mentions
// are parameters; the server URL is relative. Then Redocly (redocly.yaml) and Spectral
// (.spectral.yaml, spectral:oas) lint the dumped document and must report nothing at all.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedOperationId } from '../src/platform/http/openapi-operations.ts';
import { ROOT } from './support/process.ts';
import { createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: { default?: unknown; format?: string };
}
interface Response {
  $ref?: string;
  description: string;
  content?: Record<string, { schema?: { $ref?: string } & Record<string, unknown> }>;
}
interface Operation {
  method: string;
  path: string;
  label: string;
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, Response>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const PROBES = ['GET /health', 'GET /ready'];
const UNKNOWN_ID = '01a209d6-0000-7000-8000-000000000000';

let t: TestApp;
let session: Session;
let doc: {
  servers: { url: string }[];
  tags: { name: string; description?: string }[];
  info: { license?: { name: string; identifier?: string } };
  components: { responses: Record<string, Response>; schemas: Record<string, { examples?: unknown[] }> };
  paths: Record<string, Record<string, Omit<Operation, 'method' | 'path' | 'label'>>>;
};
let operations: Operation[];
let dir: string;
let file: string;

beforeAll(async () => {
  t = await createTestApp();
  session = await signUp(t);
  const res = await t.request({ method: 'GET', url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  doc = res.json();
  operations = [];
  for (const [p, item] of Object.entries(doc.paths))
    for (const m of METHODS)
      if (item[m]) operations.push({ method: m, path: p, label: `${m.toUpperCase()} ${p}`, ...item[m] });
  dir = mkdtempSync(path.join(os.tmpdir(), 'bul-openapi-'));
  file = path.join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(doc, null, 2));
}, 60_000);

afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const header = (o: Operation, name: string) =>
  o.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === name.toLowerCase());
const signedIn = (o: Operation) => Array.isArray(o.security) && o.security.length > 0;
const statuses = (o: Operation) => Object.keys(o.responses).map(Number);
/** An operation's answers, with the shared ones (`#/components/responses/...`) looked up. */
const answers = (o: Operation): [string, Response][] =>
  Object.entries(o.responses).map(([status, r]) => [
    status,
    r.$ref ? doc.components.responses[r.$ref.replace('#/components/responses/', '')]! : r,
  ]);

describe('operationId', () => {
  it('every operation has one, in camelCase, and no two share one', () => {
    expect(operations.length).toBeGreaterThan(140);
    expect(operations.filter((o) => !o.operationId).map((o) => o.label)).toEqual([]);
    const seen = new Map<string, string[]>();
    for (const o of operations) seen.set(o.operationId!, [...(seen.get(o.operationId!) ?? []), o.label]);
    expect([...seen].filter(([, labels]) => labels.length > 1)).toEqual([]);
    for (const o of operations) expect(o.operationId, o.label).toMatch(/^[a-z][a-zA-Z0-9]+$/);
  });

  it('names say what the operation does', () => {
    const byLabel = Object.fromEntries(operations.map((o) => [o.label, o.operationId]));
    expect(byLabel).toMatchObject({
      'GET /api/v1/clients': 'listClients',
      'POST /api/v1/clients': 'createClient',
      'GET /api/v1/clients/{id}': 'getClient',
      'PATCH /api/v1/clients/{id}': 'updateClient',
      'DELETE /api/v1/clients/{id}': 'deleteClient',
      'GET /api/v1/clients/{id}/contacts': 'listClientContacts',
      'PATCH /api/v1/clients/{id}/contacts/{contactId}': 'updateClientContact',
      'GET /api/v1/clients/export': 'exportClients',
      'POST /api/v1/clients/import': 'importClients',
      'GET /api/v1/tasks/{id}/time-entries': 'listTaskTimeEntries',
      'POST /api/v1/tasks/{id}/attachments': 'createTaskAttachment',
      'GET /api/v1/tasks/{id}/attachments/{childId}': 'downloadTaskAttachment',
      'PUT /api/v1/tasks/{id}/watchers/{userId}': 'addTaskWatcher',
      'GET /api/v1/feedback/export': 'exportFeedback',
      'POST /api/v1/auth/login': 'login',
      'GET /api/v1/auth/me': 'getCurrentUser',
      'DELETE /api/v1/api-keys/{id}': 'revokeApiKey',
      'GET /health': 'getHealth',
    });
  });

  it('is derived only for plain resource paths: actions, singletons and PUT must name themselves', () => {
    expect(derivedOperationId('GET', '/api/v1/invoices/:id/payments/:paymentId')).toBe('getInvoicePayment');
    expect(derivedOperationId('POST', '/api/v1/projects/:id/milestones')).toBe('createProjectMilestone');
    expect(derivedOperationId('GET', '/api/v1/ip-rules')).toBe('listIpRules');
    for (const [method, url] of [
      ['POST', '/api/v1/auth/login'],
      ['GET', '/api/v1/organization'],
      ['GET', '/api/v1/deals/pipeline'],
      ['PUT', '/api/v1/tasks/:id/watchers/:userId'],
      ['POST', '/api/v1/clients/:id'],
      ['GET', '/api/v1/widgets'],
      ['GET', '/api/v1/admin/organizations'],
    ])
      expect(derivedOperationId(method!, url!), `${method} ${url}`).toBeUndefined();
  });
});

describe('problem answers', () => {
  it('every operation but the probes documents its 4xx answers as Problem (application/problem+json)', () => {
    const problems: string[] = [];
    for (const o of operations) {
      for (const [status, r] of answers(o)) {
        if (Number(status) < 400 || (o.label === 'GET /ready' && status === '503')) continue;
        if (r.content?.['application/problem+json']?.schema?.$ref !== '#/components/schemas/Problem')
          problems.push(`${o.label} ${status}: not a Problem`);
        if (!/`[a-z-]+`/.test(r.description)) problems.push(`${o.label} ${status}: names no error type`);
      }
      if (PROBES.includes(o.label)) continue;
      const has = new Set(statuses(o));
      const need = (status: number, why: string) => {
        if (!has.has(status)) problems.push(`${o.label}: no ${status} (${why})`);
      };
      if (!statuses(o).some((s) => s >= 400 && s < 500)) problems.push(`${o.label}: no 4xx`);
      if (o.path.startsWith('/api/')) need(429, 'rate limits');
      if (signedIn(o)) {
        need(401, 'signed in');
        need(403, 'permission');
      }
      if (o.parameters?.some((p) => p.in === 'path')) need(404, 'path parameter');
      if (header(o, 'if-match')) need(412, 'If-Match');
      if (o.requestBody) for (const s of [400, 413, 415]) need(s, 'request body');
      if (o.method !== 'get' && o.path.startsWith('/api/')) need(409, 'write');
      const multipart = Boolean(o.requestBody?.content['multipart/form-data']);
      if (o.method === 'post' && signedIn(o) && !multipart) need(422, 'Idempotency-Key reused');
    }
    expect(problems).toEqual([]);
  });

  it('are shared components named by status and error types, each used', () => {
    const used = new Set(operations.flatMap((o) => Object.values(o.responses).map((r) => r.$ref)));
    const names = Object.keys(doc.components.responses);
    expect(names).toContain('404.not-found');
    expect(names.filter((n) => !used.has(`#/components/responses/${n}`))).toEqual([]);
    const getClient = operations.find((o) => o.operationId === 'getClient')!;
    expect(getClient.responses['404']).toEqual({ $ref: '#/components/responses/404.not-found' });
  });

  it('the Problem schema has an example', () => {
    const problem = doc.components.schemas.Problem!;
    expect(problem.examples?.length).toBeGreaterThan(0);
  });

  it('what the server answers an anonymous caller, and a member asking for unknown ids, is documented', async () => {
    const undocumented: string[] = [];
    const check = async (o: Operation, headers: Record<string, string>) => {
      const res = await t.request({
        method: o.method.toUpperCase() as 'GET',
        url: o.path.replace(/\{[^}]+\}/g, UNKNOWN_ID),
        headers,
        ...(o.method === 'get' || o.method === 'delete' ? {} : { payload: {} }),
      });
      if (res.statusCode < 400) return;
      const who = headers.authorization ? 'member' : 'anonymous';
      if (!statuses(o).includes(res.statusCode))
        undocumented.push(`${o.label} (${who}): ${res.statusCode} ${res.body.slice(0, 120)}`);
      else if (!String(res.headers['content-type']).startsWith('application/problem+json'))
        undocumented.push(`${o.label} (${who}): ${res.statusCode} is not problem+json`);
    };
    for (const o of operations) {
      if (o.path === '/metrics') continue; // not an /api route; answers 401 only with METRICS_TOKEN set
      await check(o, {});
      // GETs only: a member's writes (logout, revoke-others...) would end the session used here.
      if (o.method === 'get' && signedIn(o)) await check(o, session.headers);
    }
    expect(undocumented).toEqual([]);
  });
});

describe('requests', () => {
  it('uploads have a multipart/form-data body with the file field, so clients and Swagger UI send a file', () => {
    const uploads = operations.filter((o) => o.requestBody?.content['multipart/form-data']);
    expect(uploads.map((o) => o.operationId).sort()).toEqual([
      'createTaskAttachment',
      'importClients',
      'importProjects',
      'importTasks',
    ]);
    for (const o of uploads) {
      const schema = o.requestBody!.content['multipart/form-data']!.schema as {
        required: string[];
        properties: { file: { type: string; format: string } };
      };
      expect(schema.required, o.label).toEqual(['file']);
      expect(schema.properties.file, o.label).toMatchObject({ type: 'string', format: 'binary' });
    }
  });

  it('declares X-Organization-ID on signed-in operations, X-CSRF-Token on their writes, Idempotency-Key on their JSON POSTs', () => {
    const missing: string[] = [];
    for (const o of operations) {
      const multipart = Boolean(o.requestBody?.content['multipart/form-data']);
      const expected = {
        'X-Organization-ID': signedIn(o),
        'X-CSRF-Token': signedIn(o) && o.method !== 'get',
        'Idempotency-Key': signedIn(o) && o.method === 'post' && !multipart,
      };
      for (const [name, wanted] of Object.entries(expected)) {
        const p = header(o, name);
        if (Boolean(p) !== wanted) missing.push(`${o.label}: ${name} ${wanted ? 'missing' : 'unexpected'}`);
        if (p?.required) missing.push(`${o.label}: ${name} is required`);
      }
    }
    expect(missing).toEqual([]);
    expect(
      header(operations.find((o) => o.operationId === 'getClient')!, 'X-Organization-ID')!.schema,
    ).toMatchObject({ format: 'uuid' });
  });

  it('no required parameter has a default (an export format may be left out)', () => {
    const bad = operations.flatMap((o) =>
      (o.parameters ?? [])
        .filter((p) => p.required && p.schema?.default !== undefined)
        .map((p) => `${o.label} ${p.in} ${p.name}`),
    );
    expect(bad).toEqual([]);
    const exportClients = operations.find((o) => o.operationId === 'exportClients')!;
    expect(exportClients.parameters!.find((p) => p.name === 'format')).toMatchObject({
      required: false,
      schema: { default: 'csv' },
    });
  });

  it('has examples: ids, times and sign-in bodies', () => {
    const getClient = operations.find((o) => o.operationId === 'getClient')!;
    const id = getClient.parameters!.find((p) => p.in === 'path')! as Parameter & { example?: string };
    expect(id.example).toMatch(/^[0-9a-f-]{36}$/);
    const login = operations.find((o) => o.operationId === 'login')!;
    const media = login.requestBody!.content['application/json'] as {
      example?: unknown;
      examples?: Record<string, { value: unknown }>;
    };
    expect(media.example ?? Object.values(media.examples ?? {})[0]?.value).toMatchObject({
      email: 'ada@example.com',
    });
  });

  it('an export without format is CSV', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/clients/export', headers: session.headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
  });
});

describe('the document', () => {
  it('has a relative server, a licence, described tags used by the operations, and described answers', () => {
    expect(doc.servers).toEqual([{ url: '/', description: 'This installation' }]);
    expect(doc.info.license).toEqual({ name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' });
    const used = new Set(operations.flatMap((o) => o.tags ?? []));
    expect(doc.tags.map((tag) => tag.name).sort()).toEqual([...used].sort());
    for (const tag of doc.tags) expect(tag.description, tag.name).toBeTruthy();
    const generic = operations.flatMap((o) =>
      answers(o)
        .filter(([, r]) => !r.description || r.description === 'Default Response')
        .map(([status]) => `${o.label} ${status}`),
    );
    expect(generic).toEqual([]);
  });

  it('Redocly (redocly.yaml) reports no error or warning', { timeout: 120_000 }, () => {
    const run = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js'),
        'lint',
        file,
        '--config',
        path.join(ROOT, 'redocly.yaml'),
        '--format',
        'json',
      ],
      {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const report = JSON.parse(run.stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
    };
    expect(report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(run.status, run.stderr).toBe(0);
  });

  it('Spectral (.spectral.yaml, spectral:oas) reports nothing, hints included', { timeout: 120_000 }, () => {
    const out = path.join(dir, 'spectral.json');
    const run = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules', '@stoplight', 'spectral-cli', 'dist', 'index.js'),
        'lint',
        file,
        '--ruleset',
        path.join(ROOT, '.spectral.yaml'),
        '--format',
        'json',
        '--output',
        out,
        '--fail-severity',
        'hint',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8')) as {
      code: string;
      path: string[];
      message: string;
    }[];
    expect(results.map((r) => `${r.code} ${r.path.join('.')}: ${r.message}`)).toEqual([]);
  });
});
