// Tracing and error reports (issue 19, M3), end to end: a real `bul start` process exporting its
// traces to a local OTLP/HTTP receiver (node:http reading the JSON the exporter sends) and its
// error reports to a local Sentry DSN receiver (node:http reading envelopes), with a local webhook
// sink for the outgoing call; no secret of a URL (an outgoing call's path or query, an incoming
// request's query) in what is exported; a caller's traceparent ignored unless trusted; the endpoint
// read from OTEL_EXPORTER_OTLP_ENDPOINT_FILE. And the same process without the settings: nothing of
// OpenTelemetry or Sentry loaded (every module it resolves is recorded by
// test/support/record-modules.mjs), and nothing sent even to the SDK's default endpoint. And the
// error reporter's bounds (rate, duplicates, the receiver's 429) against a local DSN receiver.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import {
  createErrorReporter,
  DEDUPE_WINDOW_MS,
  framesOf,
  parseDsn,
  REPORTS_PER_MINUTE,
  retryAt,
  scrub,
  sentryEvent,
} from '../src/platform/observability/error-reports.ts';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './support/constants.ts';
import {
  type BulProcess,
  callApi as call,
  cleanupProcesses,
  freePort,
  makeDataDir,
  ROOT,
  spawnBul,
  waitForHealth,
} from './support/process.ts';
import {
  createTestDatabase,
  dropTestDatabase,
  requirement,
  uniqueEmail,
  uniqueSubdomain,
} from './support/test-app.ts';
import { until } from './support/until.ts';
import { type Sink, startSink } from './support/webhook-sink.ts';

const START_TIMEOUT = 60_000;

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
}
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  links?: { traceId: string; spanId: string }[];
  name: string;
  kind: number;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number };
  scope: string;
  resource: Record<string, unknown>;
}

const attr = (s: Span, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? v?.intValue ?? v?.boolValue;
};

/** A local receiver: OTLP/HTTP traces (JSON) on /v1/traces, Sentry envelopes on /api/<project>/envelope/. */
interface Receiver {
  url: string;
  spans: Span[];
  /** Raw request bodies, to search for what must never be sent. */
  bodies: string[];
  envelopes: { headers: http.IncomingHttpHeaders; items: Record<string, unknown>[] }[];
  requests: number;
  /** How envelopes are answered (200 unless a test says otherwise). */
  answer: { status: number; headers: Record<string, string> };
  close(): Promise<void>;
}

async function startReceiver(port = 0, host = '127.0.0.1'): Promise<Receiver> {
  const r: Receiver = {
    url: '',
    spans: [],
    bodies: [],
    envelopes: [],
    requests: 0,
    answer: { status: 200, headers: {} },
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests++;
      const body = Buffer.concat(chunks).toString('utf8');
      r.bodies.push(body);
      if (req.url === '/v1/traces') {
        expect(req.headers['content-type']).toBe('application/json');
        const doc = JSON.parse(body) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: OtlpValue }[] };
            scopeSpans: { scope: { name: string }; spans: Omit<Span, 'scope' | 'resource'>[] }[];
          }[];
        };
        for (const rs of doc.resourceSpans) {
          const resource = Object.fromEntries(
            rs.resource.attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue]),
          );
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans) r.spans.push({ ...s, scope: ss.scope.name, resource });
        }
      } else if (/\/api\/\d+\/envelope\/$/.test(req.url ?? '')) {
        r.envelopes.push({
          headers: req.headers,
          items: body
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        });
        res.writeHead(r.answer.status, { 'content-type': 'application/json', ...r.answer.headers });
        res.end('{}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  r.url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

/** Whether `ancestor` is on the path from `span` up to its trace's root. */
function isUnder(r: Receiver, span: Span, ancestor: Span): boolean {
  const byId = new Map(r.spans.map((s) => [s.spanId, s]));
  for (let p = span.parentSpanId; p; p = byId.get(p)?.parentSpanId) if (p === ancestor.spanId) return true;
  return false;
}

const databases: { adminUrl: string; dbName: string }[] = [];
const receivers: Receiver[] = [];
const tmpDirs: string[] = [];
let sink: Sink | null = null;

afterAll(async () => {
  await cleanupProcesses();
  await sink?.close();
  for (const r of receivers) await r.close();
  for (const d of databases) await dropTestDatabase(d.adminUrl, d.dbName);
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

async function startBul(
  env: Record<string, string>,
): Promise<{ bul: BulProcess; base: string; ownerUrl: string }> {
  const db = await createTestDatabase();
  databases.push(db);
  const port = await freePort();
  const bul = spawnBul(['start', '--role', 'all'], {
    DATABASE_URL: db.ownerUrl,
    BUL_MASTER_KEY: TEST_MASTER_KEY,
    BUL_DATA_DIR: makeDataDir(),
    PORT: String(port),
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    DATABASE_POOL_MAX: '5',
    // The sink listens on 127.0.0.1, which the SSRF guard refuses unless told otherwise.
    WEBHOOK_ALLOW_PRIVATE: 'true',
    ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(bul, base, START_TIMEOUT);
  return { bul, base, ownerUrl: db.ownerUrl };
}

async function signUp(base: string): Promise<string> {
  const email = uniqueEmail('tracing');
  await call(base, 'POST', '/auth/register', null, {
    email,
    password: STRONG_PASSWORD,
    name: 'Tracing Admin',
    organization: { name: 'Tracing', subdomain: uniqueSubdomain('tracing') },
  });
  return (await call(base, 'POST', '/auth/login', null, { email, password: STRONG_PASSWORD }))
    .accessToken as string;
}

async function get(base: string, path: string, token: string) {
  const res = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { instance?: string; traceId?: string };
  return { status: res.status, requestId: res.headers.get('x-request-id'), body };
}

/** Secrets put in URLs below: none may appear anywhere in what the process exports. */
const SECRETS = {
  incomingQuery: `inq${randomUUID().replaceAll('-', '')}`,
  incomingPath: randomUUID(),
  hookPath: `hookpath${randomUUID().replaceAll('-', '')}`,
  hookQuery: `hookq${randomUUID().replaceAll('-', '')}`,
  dsnPath: `dsnpath${randomUUID().replaceAll('-', '')}`,
};

it('traces requests, queries, jobs and webhook calls over OTLP, and reports a 500 to the DSN', async () => {
  const receiver = await startReceiver();
  receivers.push(receiver);
  sink = await startSink();
  const { bul, base, ownerUrl } = await startBul({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'bul-tracing-test',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    // A DSN whose path is a secret of the outgoing fetch() (a webhook URL's path is, for Slack).
    SENTRY_DSN: `${receiver.url.replace('http://', 'http://testpublickey@')}/${SECRETS.dsnPath}/42`,
    SENTRY_ENVIRONMENT: 'tracing-test',
  });
  const token = await signUp(base);

  // 1. A request that reads the database (a 404: the client does not exist), sent with a
  // traceparent of the caller's choosing: not trusted by default, so BUL starts its own trace and
  // only links the caller's.
  const callerTrace = randomUUID().replaceAll('-', '');
  const callerSpan = callerTrace.slice(0, 16);
  const missingRes = await fetch(`${base}/api/v1/clients/${SECRETS.incomingPath}`, {
    headers: { authorization: `Bearer ${token}`, traceparent: `00-${callerTrace}-${callerSpan}-01` },
  });
  const missing = {
    status: missingRes.status,
    requestId: missingRes.headers.get('x-request-id'),
    body: (await missingRes.json()) as { instance?: string; traceId?: string },
  };
  expect(missing.status).toBe(404);
  expect(missing.body.instance).toBe(missing.requestId);
  const traceId = String(missing.body.traceId);
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(traceId).not.toBe(callerTrace);
  const server = await until('the HTTP server span', async () =>
    receiver.spans.find((s) => s.traceId === traceId && s.kind === 2),
  );
  expect(server.parentSpanId || undefined).toBeUndefined(); // a root: the caller's span is no parent
  expect(server.links).toEqual([expect.objectContaining({ traceId: callerTrace, spanId: callerSpan })]);
  expect(server.name).toBe('GET /api/v1/clients/:id'); // the route pattern, not the id
  expect(attr(server, 'http.route')).toBe('/api/v1/clients/:id');
  for (const key of ['url.path', 'url.query', 'http.target', 'url.full', 'http.url'])
    expect(attr(server, key) ?? '').not.toContain(SECRETS.incomingPath);
  expect(attr(server, 'bul.request_id')).toBe(missing.requestId);
  expect(server.resource['service.name']).toBe('bul-tracing-test');
  expect(server.resource['service.version']).toMatch(/^\d+\.\d+\.\d+/);
  // Its PostgreSQL queries: in the same trace, descendants of the server span.
  const queries = await until('the request’s query spans', async () => {
    const q = receiver.spans.filter((s) => s.traceId === traceId && attr(s, 'db.query.text'));
    return q.length > 0 && q;
  });
  for (const q of queries) {
    expect(q.scope).toBe('@opentelemetry/instrumentation-pg');
    expect(isUnder(receiver, q, server)).toBe(true);
  }
  // The response's log line carries the trace id.
  const line = await bul.waitForLog(
    (l) => l.reqId === missing.requestId && l.msg === 'request completed',
    'the request’s log line',
  );
  expect(line.traceId).toBe(traceId);

  // A public request with a secret in its query string (an unsubscribe link's token).
  const unsubscribe = await fetch(`${base}/api/v1/notifications/unsubscribe?token=${SECRETS.incomingQuery}`);
  await unsubscribe.arrayBuffer();
  const unsubscribeSpan = await until('the unsubscribe request’s span', async () =>
    receiver.spans.find((s) => attr(s, 'bul.request_id') === unsubscribe.headers.get('x-request-id')),
  );
  expect(attr(unsubscribeSpan, 'http.route')).toBe('/api/v1/notifications/unsubscribe');
  expect(attr(unsubscribeSpan, 'url.query')).toBeUndefined();

  // 2. An event → its handler run → the webhook delivery job → the signed POST, one trace, whose
  // traceparent reaches the receiver. The endpoint's URL carries secrets in its path and query.
  const hookUrl = `${sink.url}/${SECRETS.hookPath}?token=${SECRETS.hookQuery}`;
  await call(base, 'POST', '/webhooks/endpoints', token, { url: hookUrl, events: ['client.created'] });
  await call(base, 'POST', '/clients', token, { name: 'Traced client' });
  const delivered = await until('the webhook delivery', async () =>
    sink!.requests.find((r) => r.headers['webhook-id'] && r.body.includes('client.created')),
  );
  const traceparent = String(delivered.headers.traceparent);
  expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const [, hookTrace, hookSpan] = traceparent.split('-');
  const outgoing = await until('the outgoing call’s span', async () =>
    receiver.spans.find((s) => s.spanId === hookSpan),
  );
  expect(outgoing).toMatchObject({ traceId: hookTrace, kind: 3 }); // a client span
  expect(outgoing.scope).toBe('@opentelemetry/instrumentation-http'); // signed webhooks use node:http
  expect(attr(outgoing, 'url.full')).toBe(new URL(sink.url).origin); // scheme://host:port only
  expect(attr(outgoing, 'http.request.method')).toBe('POST');
  const job = await until('the delivery job’s span', async () =>
    receiver.spans.find((s) => s.traceId === hookTrace && s.name === 'job webhooks:deliver'),
  );
  const handler = await until('the event handler’s span', async () =>
    receiver.spans.find((s) => s.traceId === hookTrace && s.name.startsWith('event handler ')),
  );
  expect(job.parentSpanId).toBe(handler.spanId); // carried in the job's payload
  expect(isUnder(receiver, outgoing, job)).toBe(true);

  // 3. A real 500: the database owner renames away the table the route reads.
  expect(receiver.envelopes).toHaveLength(0);
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    await owner.query('ALTER TABLE clients RENAME TO clients_tracing_away');
    const failed = await get(base, '/clients?limit=5', token);
    expect(failed.status).toBe(500);
    expect(failed.body.traceId).toMatch(/^[0-9a-f]{32}$/);
    const envelope = await until('the error report', async () => receiver.envelopes[0]);
    expect(String(envelope.headers['x-sentry-auth'])).toContain('sentry_key=testpublickey');
    const [head, itemHead, event] = envelope.items as [
      { event_id: string },
      { type: string },
      Record<string, unknown>,
    ];
    expect(itemHead.type).toBe('event');
    expect(event).toMatchObject({
      event_id: head.event_id,
      level: 'error',
      environment: 'tracing-test',
      release: expect.stringMatching(/^bul@\d+\.\d+\.\d+/),
      tags: { source: 'request', requestId: failed.requestId, route: '/api/v1/clients', method: 'GET' },
      contexts: { trace: { trace_id: failed.body.traceId } },
    });
    const exception = (event.exception as { values: { type: string; value: string }[] }).values.at(-1)!;
    expect(exception.value).toContain('clients'); // relation "clients" does not exist
    expect(exception.type).toContain('42P01');
    // The report is a fetch() made inside the request's trace: the undici instrumentation's span,
    // and its traceparent on the wire (the same propagation notification providers' calls get).
    const reportTrace = String(envelope.headers.traceparent).split('-');
    expect(reportTrace[1]).toBe(failed.body.traceId);
    const fetchSpan = await until('the report’s fetch span', async () =>
      receiver.spans.find((s) => s.spanId === reportTrace[2]),
    );
    expect(fetchSpan.scope).toBe('@opentelemetry/instrumentation-undici');
    expect(attr(fetchSpan, 'url.full')).toBe(receiver.url);
  } finally {
    await owner.query('ALTER TABLE clients_tracing_away RENAME TO clients').catch(() => {});
    await owner.end();
  }
  expect(receiver.envelopes).toHaveLength(1); // the 404 earlier was not an error to report

  // Nothing secret left the process: no password, token, master key, nor a query's values.
  const sent = receiver.bodies.join('\n');
  expect(sent).not.toContain(STRONG_PASSWORD);
  expect(sent).not.toContain(token);
  expect(sent).not.toContain(TEST_MASTER_KEY);
  expect(sent).not.toContain('Traced client'); // a parameter of the INSERT, and a request body
  expect(receiver.spans.some((s) => attr(s, 'db.postgresql.values') !== undefined)).toBe(false);
  // Nor any secret of a URL: the outgoing calls' paths and queries, the incoming ones' raw targets,
  // in all the process exported up to its end (it flushes its last spans as it stops).
  bul.kill('SIGTERM');
  await bul.waitForExit();
  const all = receiver.bodies.join('\n');
  expect(all).toContain(`"${receiver.url}"`); // the search reads the spans' JSON (url.full of the fetch)
  for (const [what, secret] of Object.entries(SECRETS)) expect(all, what).not.toContain(secret);
}, 180_000);

it('reads the endpoint from OTEL_EXPORTER_OTLP_ENDPOINT_FILE, and follows a caller’s traceparent when trusted', async () => {
  const receiver = await startReceiver();
  receivers.push(receiver);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-otel-file-'));
  tmpDirs.push(dir);
  const endpointFile = path.join(dir, 'otlp-endpoint');
  writeFileSync(endpointFile, `${receiver.url}\n`);
  const { base } = await startBul({
    OTEL_EXPORTER_OTLP_ENDPOINT_FILE: endpointFile,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    TRUST_INCOMING_TRACEPARENT: 'true',
  });
  const token = await signUp(base);
  const callerTrace = randomUUID().replaceAll('-', '');
  const callerSpan = callerTrace.slice(16);
  const res = await fetch(`${base}/api/v1/clients/${randomUUID()}`, {
    headers: { authorization: `Bearer ${token}`, traceparent: `00-${callerTrace}-${callerSpan}-01` },
  });
  const body = (await res.json()) as { traceId?: string };
  expect(res.status).toBe(404);
  expect(body.traceId).toBe(callerTrace); // trusted: the caller's trace is joined
  const server = await until('the HTTP server span', async () =>
    receiver.spans.find((s) => s.traceId === callerTrace && s.kind === 2),
  );
  expect(server.parentSpanId).toBe(callerSpan);
  expect(server.resource['service.name']).toBe('bul');
}, 120_000);

it('without the settings, no OpenTelemetry or Sentry module is loaded and nothing is sent', async () => {
  // "Unset" as an operator leaves it: the endpoint and DSN variables empty, while other OTEL_*
  // variables are set (a service name, the otlp exporter). An SDK started by mistake would send to
  // its default endpoint, http://localhost:4318: a receiver listens there, and must get nothing.
  const defaults: Receiver[] = [];
  try {
    defaults.push(await startReceiver(4318));
  } catch (err) {
    requirement(false, `127.0.0.1:4318 (the OTLP default endpoint) is taken: ${(err as Error).message}`);
  }
  // localhost may resolve to ::1 first: listen there too when the host has IPv6.
  if (defaults.length > 0)
    await startReceiver(4318, '::1').then(
      (r) => defaults.push(r),
      () => {},
    );
  receivers.push(...defaults);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-modules-'));
  tmpDirs.push(dir);
  const moduleLog = path.join(dir, 'modules.txt');
  const { bul, base } = await startBul({
    NODE_OPTIONS: `--import ${path.join(ROOT, 'test', 'support', 'record-modules.mjs')}`,
    BUL_TEST_MODULE_LOG: moduleLog,
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
    SENTRY_DSN: '',
    OTEL_SERVICE_NAME: 'bul-unset-test',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  const token = await signUp(base);
  const missing = await get(base, `/clients/${randomUUID()}`, token);
  expect(missing.status).toBe(404);
  expect(missing.body).not.toHaveProperty('traceId');
  const line = await bul.waitForLog(
    (l) => l.reqId === missing.requestId && l.msg === 'request completed',
    'the request’s log line',
  );
  expect(line).not.toHaveProperty('traceId');

  const loaded = readFileSync(moduleLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [url, parent] = l.split('\t');
      return { url: url!, parent: parent ?? '' };
    });
  // The recorder works (it saw the server's own modules)...
  expect(loaded.some((m) => m.url.includes('/node_modules/fastify/'))).toBe(true);
  expect(loaded.some((m) => m.url.includes('/node_modules/pg/'))).toBe(true);
  expect(loaded.some((m) => m.url.endsWith('/src/platform/observability/telemetry.ts'))).toBe(true);
  // ...and nothing of tracing or error reporting was loaded. One exception, not BUL's: prom-client
  // requires the OpenTelemetry API (a no-op facade, for its exemplars) whatever the settings.
  const promClientsApi = (m: { url: string; parent: string }) =>
    m.url.includes('/node_modules/@opentelemetry/api/') &&
    /\/node_modules\/(prom-client|@opentelemetry\/api)\//.test(m.parent);
  const observability = loaded.filter(
    (m) =>
      /@opentelemetry|@sentry|import-in-the-middle|require-in-the-middle|\/otel\.ts$|\/error-reports\.ts$/.test(
        m.url,
      ) && !promClientsApi(m),
  );
  expect(observability).toEqual([]);
  // Stopped, the process has flushed whatever it had to send (bul start flushes spans and reports
  // as it stops): the default endpoint got nothing.
  bul.kill('SIGTERM');
  await bul.waitForExit();
  for (const r of defaults) expect(r.requests, r.url).toBe(0);
}, 120_000);

describe('error reports', () => {
  it('find the envelope endpoint and key in a DSN, and refuse one that lacks them', () => {
    expect(parseDsn('https://abc123@errors.example.com/42')).toEqual({
      endpoint: 'https://errors.example.com/api/42/envelope/',
      publicKey: 'abc123',
    });
    expect(parseDsn('http://k@127.0.0.1:9000/sentry/7').endpoint).toBe(
      'http://127.0.0.1:9000/sentry/api/7/envelope/',
    );
    for (const bad of ['https://errors.example.com/42', 'https://abc123@errors.example.com/']) {
      expect(() => loadConfig({ SENTRY_DSN: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ SENTRY_DSN: bad })).toThrow(/SENTRY_DSN: must name a key and a project/);
    }
    expect(loadConfig({ SENTRY_DSN: 'https://abc123@errors.example.com/42' }).sentryDsn).toBe(
      'https://abc123@errors.example.com/42',
    );
  });

  it('mask credentials in URLs and keep stack frames oldest first, relative to the checkout', () => {
    expect(scrub('connect postgres://bul:s3cret@db:5432/bul failed')).toBe(
      'connect postgres://[redacted]@db:5432/bul failed',
    );
    expect(scrub('see https://example.com/a@b')).toBe('see https://example.com/a@b');
    const err = new Error('boom at redis://:hunter2@cache:6379', { cause: new TypeError('inner') });
    const event = sentryEvent(
      err,
      { source: 'job', tags: { job: 'x', none: undefined } },
      {
        release: 'bul@1.0.0',
        environment: 'test',
      },
    );
    expect(JSON.stringify(event)).not.toContain('hunter2');
    expect(event.tags).toEqual({ source: 'job', job: 'x' });
    expect(event.exception.values.map((v) => v.type)).toEqual(['TypeError', 'Error']);
    const frames = framesOf(err.stack);
    expect(frames.at(-1)).toMatchObject({ filename: 'test/tracing.test.ts', in_app: true });
  });

  /** A reporter sending to a local receiver, on a clock the test moves. */
  async function reporterOnReceiver() {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    const warnings: string[] = [];
    const reporter = createErrorReporter({
      dsn: `${receiver.url.replace('http://', 'http://k@')}/7`,
      environment: 'test',
      release: 'bul@0.0.0',
      warn: (m) => warnings.push(m),
      now: () => clock.now,
    });
    const fail = (message: string, route = '/api/v1/things') =>
      reporter.report(new Error(message), { source: 'request', tags: { route, method: 'GET' } });
    return { receiver, clock, warnings, reporter, fail };
  }

  it('send at most REPORTS_PER_MINUTE a minute, and the same error once in its window', async () => {
    const { receiver, clock, reporter, fail } = await reporterOnReceiver();
    // A storm of distinct 500s, in waves (each flushed, so the in-flight cap is never what limits).
    for (let wave = 0; wave < 5; wave++) {
      for (let i = 0; i < 10; i++) fail(`distinct failure ${wave}-${i}`);
      await reporter.flush();
    }
    expect(receiver.envelopes).toHaveLength(REPORTS_PER_MINUTE);
    // A minute later the bucket is full again; the same 500 over and over is sent once.
    clock.now += 60_000;
    for (let i = 0; i < 10; i++) {
      fail('relation "clients" does not exist');
      await reporter.flush();
    }
    expect(receiver.envelopes).toHaveLength(REPORTS_PER_MINUTE + 1);
    fail('relation "clients" does not exist', '/api/v1/other'); // another route: another error
    await reporter.flush();
    expect(receiver.envelopes).toHaveLength(REPORTS_PER_MINUTE + 2);
    clock.now += DEDUPE_WINDOW_MS; // past the window, it is reported again
    fail('relation "clients" does not exist');
    await reporter.flush();
    expect(receiver.envelopes).toHaveLength(REPORTS_PER_MINUTE + 3);
  });

  it('stop sending while the receiver answers 429 Retry-After, and log each outage once', async () => {
    const { receiver, clock, warnings, reporter, fail } = await reporterOnReceiver();
    receiver.answer = { status: 429, headers: { 'retry-after': '120' } };
    fail('first');
    await reporter.flush();
    expect(receiver.envelopes).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    receiver.answer = { status: 200, headers: {} };
    clock.now += 119_000;
    fail('second'); // still inside the two minutes asked for: not sent
    await reporter.flush();
    expect(receiver.envelopes).toHaveLength(1);
    clock.now += 1_000;
    fail('third');
    await reporter.flush();
    expect(receiver.envelopes).toHaveLength(2);
    // Recovered, then a new outage (the receiver failing): logged again, once.
    receiver.answer = { status: 503, headers: {} };
    fail('fourth');
    fail('fifth');
    await reporter.flush();
    expect(receiver.envelopes).toHaveLength(4);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain('HTTP 503');
    // X-Sentry-Rate-Limits on a 200 for the error category pauses too.
    receiver.answer = { status: 200, headers: { 'x-sentry-rate-limits': '300:error;default:organization' } };
    fail('sixth');
    await reporter.flush();
    fail('seventh');
    await reporter.flush();
    expect(receiver.envelopes).toHaveLength(5);
  });

  it('read the categories and delays of X-Sentry-Rate-Limits and Retry-After', () => {
    const at = (status: number, headers: Record<string, string>) =>
      retryAt({ status, headers: new Headers(headers) }, 0);
    expect(at(200, {})).toBeUndefined();
    expect(at(200, { 'x-sentry-rate-limits': '60:transaction:key' })).toBeUndefined(); // not errors
    expect(at(200, { 'x-sentry-rate-limits': '60::organization, 30:error:key' })).toBe(60_000); // all categories
    expect(at(429, { 'x-sentry-rate-limits': '60:transaction:key', 'retry-after': '5' })).toBe(5_000);
    expect(at(429, {})).toBe(60_000);
    expect(at(429, { 'retry-after': new Date(90_000).toUTCString() })).toBe(90_000);
  });
});
