// Operational surface, in-process: liveness and readiness, Prometheus metrics (and promtool's view
// of them), security headers, caching and compression, CORS, request ids, the OpenAPI document and
// the error catalogue.
// (JSON logs are checked on a real process in cli.test.ts: apps built here are log-silent.)
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPermission } from '../src/modules/access/catalogue.ts';
import { readMigrations } from '../src/platform/db/migrator.ts';
import { ERROR_CATALOGUE } from '../src/platform/errors.ts';
import { COMPRESS_THRESHOLD } from '../src/platform/http/compression.ts';
import { WEB_DIST_DIR } from '../src/platform/http/web-app.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import { createTestApp, login, requirement, type Session, signUp, type TestApp } from './support/test-app.ts';
import { ensureWebBuilt } from './support/web-build.ts';

const LATEST = Math.max(...readMigrations().map((m) => m.version));
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

let t: TestApp;
/** PUBLIC_URL over https, a CORS allow-list and a metrics token. */
let hardened: TestApp;
/** Three API requests a minute per address, to see what a refused request is counted as. */
let limited: TestApp;
let session: Session;

beforeAll(async () => {
  ensureWebBuilt(); // the web app's files and its fallback route are part of what is checked here
  [t, hardened, limited] = await Promise.all([
    createTestApp(),
    createTestApp({
      PUBLIC_URL: 'https://bul.example',
      CORS_ORIGINS: 'https://app.example',
      METRICS_TOKEN,
    }),
    createTestApp({ RATE_LIMIT_IP_PER_MINUTE: '3' }),
  ]);
  session = await signUp(t);
});
afterAll(async () => {
  await t?.close();
  await hardened?.close();
  await limited?.close();
});

describe('health and readiness', () => {
  it('GET /health answers 200 {status: ok}', async () => {
    const res = await t.request({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('ok');
    expect(typeof res.json().uptimeSeconds).toBe('number');
  });

  it('GET /ready answers 200 with the database and migrations checks ok', async () => {
    const res = await t.request({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    const byName = Object.fromEntries(body.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName.database.ok).toBe(true);
    expect(byName.migrations.ok).toBe(true);
    expect(byName.migrations.detail).toBe(`at ${LATEST}`);
  });

  it('GET /ready answers 503 with the migrations check failing when the latest migration is missing', async () => {
    const saved = await t.owner('SELECT * FROM bul_schema_migrations WHERE version = $1', [LATEST]);
    expect(saved.rowCount).toBe(1);
    const row = saved.rows[0]!;
    await t.owner('DELETE FROM bul_schema_migrations WHERE version = $1', [LATEST]);
    try {
      const res = await t.request({ method: 'GET', url: '/ready' });
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.status).toBe('not_ready');
      const byName = Object.fromEntries(body.checks.map((c: { name: string }) => [c.name, c]));
      expect(byName.database.ok).toBe(true);
      expect(byName.migrations.ok).toBe(false);
      expect(byName.migrations.detail).toContain(`code expects ${LATEST}`);
    } finally {
      await t.owner(
        'INSERT INTO bul_schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)',
        [row.version, row.name, row.checksum, row.applied_at],
      );
    }
    expect((await t.request({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
  });
});

// ---- metrics -----------------------------------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format's sample lines. */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

describe('GET /metrics', () => {
  let text: string;
  let roleId: string;

  beforeAll(async () => {
    const roles = await t.request({ method: 'GET', url: '/api/v1/roles', headers: session.headers });
    roleId = roles.json().items[0].id;
    for (let i = 0; i < 3; i++)
      expect(
        (await t.request({ method: 'GET', url: '/api/v1/auth/me', headers: session.headers })).statusCode,
      ).toBe(200);
    expect((await t.request({ method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(401);
    expect(
      (await t.request({ method: 'GET', url: `/api/v1/roles/${roleId}`, headers: session.headers }))
        .statusCode,
    ).toBe(200);
    const res = await t.request({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    text = res.body;
  });

  it('has a latency histogram per route template', () => {
    const all = samples(text);
    const buckets = all.filter(
      (s) =>
        s.name === 'bul_http_request_duration_seconds_bucket' &&
        s.labels.route === '/api/v1/auth/me' &&
        s.labels.method === 'GET' &&
        s.labels.status_code === '200',
    );
    expect(buckets.length).toBeGreaterThan(1);
    expect(buckets.find((b) => b.labels.le === '+Inf')?.value).toBe(3);
    // The template, never the raw URL with an id in it.
    expect(
      all.some((s) => s.name === 'bul_http_requests_total' && s.labels.route === '/api/v1/roles/:id'),
    ).toBe(true);
    expect(all.some((s) => s.labels.route?.includes(roleId))).toBe(false);
    expect(text).not.toContain(roleId);
  });

  it('counts requests by status code', () => {
    const counts = samples(text).filter(
      (s) => s.name === 'bul_http_requests_total' && s.labels.route === '/api/v1/auth/me',
    );
    expect(counts.find((s) => s.labels.status_code === '200')?.value).toBe(3);
    expect(counts.find((s) => s.labels.status_code === '401')?.value).toBe(1);
  });

  it('has database pool gauges and process metrics', () => {
    const all = samples(text);
    const pool = all.find((s) => s.name === 'bul_db_pool_connections');
    expect(pool).toBeDefined();
    expect(pool!.value).toBeGreaterThanOrEqual(1);
    expect(all.some((s) => s.name === 'bul_db_pool_idle_connections')).toBe(true);
    expect(all.some((s) => s.name === 'bul_db_pool_waiting_requests')).toBe(true);
    expect(all.find((s) => s.name === 'bul_process_cpu_user_seconds_total')?.value).toBeGreaterThan(0);
    expect(text).toContain('# TYPE bul_http_request_duration_seconds histogram');
    expect(text).toContain('# TYPE bul_http_requests_total counter');
  });

  it('passes promtool check metrics', () => {
    const found = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (!requirement(!found.error, 'promtool (Debian package prometheus) is not installed')) return;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-metrics-'));
    try {
      const file = path.join(dir, 'metrics.txt');
      writeFileSync(file, text);
      const fd = openSync(file, 'r');
      let r: ReturnType<typeof spawnSync>;
      try {
        r = spawnSync('promtool', ['check', 'metrics'], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
      } finally {
        closeSync(fd);
      }
      // 0: clean; 3: lint remarks (e.g. a gauge named *_total); 1: the exposition is broken.
      expect(r.status, `promtool exit ${r.status}: ${r.stdout}${r.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('labels every web app file "static" and every unknown URL "unmatched", refused (429) or not (404)', async () => {
    const files = readdirSync(path.join(WEB_DIST_DIR, 'assets')).slice(0, 6);
    expect(files.length).toBe(6);
    for (const file of files) {
      const res = await limited.request({ method: 'GET', url: `/assets/${file}` });
      expect(res.statusCode, file).toBe(200);
    }
    const navigation = await limited.request({
      method: 'GET',
      url: '/projects/some-id',
      headers: { accept: 'text/html' },
    });
    expect(navigation.statusCode).toBe(200);
    const unknown = [
      { method: 'GET', url: '/api/v1/no-such-thing' },
      { method: 'GET', url: '/no-such-file.js' },
      { method: 'POST', url: '/api/v1/no-such-thing' },
      { method: 'DELETE', url: '/elsewhere/no-such-thing' },
    ] as const;
    for (const r of unknown) expect((await limited.request(r)).statusCode, r.url).toBe(404);
    // From one address, a fourth API request within the minute is refused before routing.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await limited.request({
        method: 'GET',
        url: `/api/v1/unknown-${i}`,
        remoteAddress: '203.0.113.7',
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);

    const all = samples((await limited.request({ method: 'GET', url: '/metrics' })).body).filter(
      (x) => x.name === 'bul_http_requests_total',
    );
    const count = (route: string, status: string) =>
      all
        .filter((x) => x.labels.route === route && x.labels.status_code === status)
        .reduce((sum, x) => sum + x.value, 0);
    expect(count('unmatched', '429')).toBe(1);
    expect(count('static', '200')).toBe(files.length);
    expect(count('/*', '200')).toBe(1);
    expect(count('unmatched', '404')).toBe(unknown.length + 3);
    // Nothing else: one label for all files, one for all unknown URLs.
    expect([...new Set(all.map((x) => x.labels.route))].sort()).toEqual(['/*', 'static', 'unmatched']);
  });

  it('with METRICS_TOKEN set, answers 401 without the bearer token and 200 with it', async () => {
    const none = await hardened.request({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.json().type).toBe('urn:bul:error:unauthenticated');
    expect(none.body).not.toContain('bul_http_requests_total');
    const wrong = await hardened.request({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}x` },
    });
    expect(wrong.statusCode).toBe(401);
    const ok = await hardened.request({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('bul_process_cpu_user_seconds_total');
  });
});

// ---- security headers, CORS, request ids -------------------------------------------------------

/** The sources of one CSP directive, or null when the policy lacks it. */
function cspDirective(csp: string, name: string): string[] | null {
  const d = csp
    .split(';')
    .map((part) => part.trim().split(/\s+/))
    .find((words) => words[0] === name);
  return d ? d.slice(1) : null;
}

/** CSP with frame-ancestors (`'none'` on the API; the Swagger UI pages may allow `'self'`), nosniff, referrer policy. */
function expectBrowserHeaders(headers: Record<string, unknown>, what: string) {
  const csp = String(headers['content-security-policy'] ?? '');
  const ancestors = cspDirective(csp, 'frame-ancestors');
  if (what.includes('/docs')) {
    expect(ancestors, `${what}: frame-ancestors in ${csp}`).not.toBeNull();
    for (const source of ancestors!) expect(["'none'", "'self'"], `${what}: ${csp}`).toContain(source);
  } else {
    expect(ancestors, `${what}: frame-ancestors in ${csp}`).toEqual(["'none'"]);
  }
  expect(headers['x-content-type-options'], what).toBe('nosniff');
  expect(headers['referrer-policy'], what).toBe('strict-origin-when-cross-origin');
}

describe('security headers', () => {
  it('are on API answers (success and problem) and on /docs, without HSTS over http', async () => {
    const responses = {
      'GET /api/v1/auth/me (200)': await t.request({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: session.headers,
      }),
      'GET /api/v1/auth/me (401)': await t.request({ method: 'GET', url: '/api/v1/auth/me' }),
      'GET /docs': await t.request({ method: 'GET', url: '/docs' }),
      'GET /docs/json': await t.request({ method: 'GET', url: '/docs/json' }),
    };
    expect(responses['GET /api/v1/auth/me (401)'].statusCode).toBe(401);
    expect([200, 302]).toContain(responses['GET /docs'].statusCode);
    for (const [what, res] of Object.entries(responses)) {
      expectBrowserHeaders(res.headers, what);
      expect(res.headers['strict-transport-security'], what).toBeUndefined();
    }
  });

  it('include HSTS when PUBLIC_URL is https', async () => {
    for (const url of ['/api/v1/errors', '/docs/json', '/health']) {
      const res = await hardened.request({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expectBrowserHeaders(res.headers, url);
      expect(res.headers['strict-transport-security'], url).toBe('max-age=31536000; includeSubDomains');
    }
  });
});

describe('caching', () => {
  it('API answers, sign-in and token refresh included, say Cache-Control: no-store', async () => {
    const fresh = await login(t, session.email);
    const responses = {
      'POST /api/v1/auth/login (401)': await t.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: session.email, password: 'not the password at all' },
      }),
      'POST /api/v1/auth/refresh (200)': await t.request({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: fresh.refreshToken },
      }),
      'GET /api/v1/auth/me (200)': await t.request({
        method: 'GET',
        url: '/api/v1/auth/me',
        headers: session.headers,
      }),
      'GET /api/v1/auth/me (401)': await t.request({ method: 'GET', url: '/api/v1/auth/me' }),
      'GET /api/v1/roles (200)': await t.request({
        method: 'GET',
        url: '/api/v1/roles',
        headers: session.headers,
      }),
      'GET /api/v1/errors (200)': await t.request({ method: 'GET', url: '/api/v1/errors' }),
    };
    expect(responses['POST /api/v1/auth/login (401)'].statusCode).toBe(401);
    expect(responses['POST /api/v1/auth/refresh (200)'].statusCode).toBe(200);
    expect(responses['POST /api/v1/auth/refresh (200)'].json().accessToken).toEqual(expect.any(String));
    const signIn = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: session.email, password: STRONG_PASSWORD },
    });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.headers['cache-control'], 'POST /api/v1/auth/login (200)').toBe('no-store');
    for (const [what, res] of Object.entries(responses)) {
      expect(res.headers['cache-control'], what).toBe('no-store');
    }
  });

  it('hashed web app files keep their year-long cache, index.html and the key set their own', async () => {
    const asset = readdirSync(path.join(WEB_DIST_DIR, 'assets'))[0]!;
    const file = await t.request({ method: 'GET', url: `/assets/${asset}` });
    expect(file.statusCode).toBe(200);
    expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const index = await t.request({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    expect(index.headers['cache-control']).toBe('no-cache');
    const jwks = await t.request({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(jwks.headers['cache-control']).toBe('public, max-age=300');
  });

  it('the web app fallback, which answers by Accept, says Vary: Accept', async () => {
    const page = await t.request({ method: 'GET', url: '/projects/x', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const data = await t.request({
      method: 'GET',
      url: '/projects/x',
      headers: { accept: 'application/json' },
    });
    expect(data.statusCode).toBe(404);
    expect(data.headers['content-type']).toContain('application/problem+json');
    for (const res of [page, data]) {
      const vary = String(res.headers.vary ?? '')
        .split(',')
        .map((v) => v.trim().toLowerCase());
      expect(vary, `vary: ${res.headers.vary}`).toContain('accept');
    }
  });
});

describe('compression', () => {
  const decode = (res: { headers: Record<string, unknown>; rawPayload: Buffer }) => {
    const encoding = res.headers['content-encoding'];
    if (encoding === 'gzip') return gunzipSync(res.rawPayload).toString('utf8');
    throw new Error(`not compressed: content-encoding ${String(encoding)}`);
  };
  const varies = (res: { headers: Record<string, unknown> }) =>
    String(res.headers.vary ?? '')
      .split(',')
      .map((v) => v.trim().toLowerCase());

  it('/docs/json comes gzipped to callers that accept it, and decodes to the same document', async () => {
    const plain = await t.request({ method: 'GET', url: '/docs/json' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    for (const encoding of ['gzip', 'gzip, deflate, br, zstd']) {
      const res = await t.request({
        method: 'GET',
        url: '/docs/json',
        headers: { 'accept-encoding': encoding },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(varies(res)).toContain('accept-encoding');
      expect(res.rawPayload.length).toBeLessThan(plain.rawPayload.length / 4);
      expect(JSON.parse(decode(res))).toEqual(plain.json());
    }
  });

  it('large API answers are compressed, small ones (GET /auth/me) are not', async () => {
    const errors = await t.request({
      method: 'GET',
      url: '/api/v1/errors',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(errors.headers['content-encoding']).toBe('gzip');
    expect(errors.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(decode(errors)).items.length).toBe(Object.keys(ERROR_CATALOGUE).length);
    const me = await t.request({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { ...session.headers, 'accept-encoding': 'gzip, br' },
    });
    expect(me.statusCode).toBe(200);
    expect(me.headers['content-encoding']).toBeUndefined();
    expect(me.rawPayload.length).toBeLessThan(COMPRESS_THRESHOLD);
    expect(me.json().user.id).toBe(session.userId);
  });

  it('a compressed answer keeps its ETag, and If-Match with it still applies or refuses the change', async () => {
    const auth = { ...session.headers, 'accept-encoding': 'gzip' };
    const created = await t.request({
      method: 'POST',
      url: '/api/v1/projects',
      headers: auth,
      payload: { name: 'Long brief', description: 'A paragraph of the brief. '.repeat(200) },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['content-encoding']).toBe('gzip');
    const id = JSON.parse(decode(created)).id;
    const got = await t.request({ method: 'GET', url: `/api/v1/projects/${id}`, headers: auth });
    expect(got.headers['content-encoding']).toBe('gzip');
    expect(got.headers.etag).toBe('"1"');
    const changed = await t.request({
      method: 'PATCH',
      url: `/api/v1/projects/${id}`,
      headers: { ...auth, 'if-match': String(got.headers.etag) },
      payload: { name: 'Long brief, renamed' },
    });
    expect(changed.statusCode).toBe(200);
    expect(JSON.parse(decode(changed)).version).toBe(2);
    const stale = await t.request({
      method: 'PATCH',
      url: `/api/v1/projects/${id}`,
      headers: { ...auth, 'if-match': String(got.headers.etag) },
      payload: { name: 'Too late' },
    });
    expect(stale.statusCode).toBe(412);
  });

  it('an Idempotency-Key replay of a compressed answer is the same answer (kept before compression)', async () => {
    const request = {
      method: 'POST' as const,
      url: '/api/v1/projects',
      headers: {
        ...session.headers,
        'accept-encoding': 'gzip',
        'idempotency-key': `compressed-${Date.now()}`,
      },
      payload: { name: 'Replayed', description: 'Replayed text. '.repeat(300) },
    };
    const first = await t.request(request);
    expect(first.statusCode).toBe(201);
    expect(first.headers['content-encoding']).toBe('gzip');
    const again = await t.request(request);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(decode(again))).toEqual(JSON.parse(decode(first)));
    const plain = await t.request({
      ...request,
      headers: { ...request.headers, 'accept-encoding': 'identity' },
    });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.json()).toEqual(JSON.parse(decode(first)));
  });

  it('exports still stream: JSON and CSV compressed on the way, XLSX (a zip already) sent as it is', async () => {
    const url = '/api/v1/projects/export';
    const headers = { ...session.headers, 'accept-encoding': 'gzip' };
    const created = await t.request({
      method: 'POST',
      url: '/api/v1/projects',
      headers: session.headers,
      payload: { name: 'Exported', description: 'Line of the export. '.repeat(200) },
    });
    expect(created.statusCode).toBe(201);
    for (const format of ['json', 'csv']) {
      const plain = await t.request({
        method: 'GET',
        url: `${url}?format=${format}`,
        headers: session.headers,
      });
      expect(plain.statusCode, format).toBe(200);
      expect(plain.headers['content-encoding'], format).toBeUndefined();
      expect(plain.rawPayload.length, format).toBeGreaterThan(COMPRESS_THRESHOLD);
      const res = await t.request({ method: 'GET', url: `${url}?format=${format}`, headers });
      expect(res.statusCode, format).toBe(200);
      expect(res.headers['content-encoding'], format).toBe('gzip');
      expect(res.headers['content-length'], format).toBeUndefined(); // streamed: no length ahead
      expect(res.headers['cache-control'], format).toBe('no-store');
      expect(res.headers['content-disposition'], format).toBe(plain.headers['content-disposition']);
      expect(decode(res), format).toBe(plain.body);
    }
    const xlsx = await t.request({ method: 'GET', url: `${url}?format=xlsx`, headers });
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-encoding']).toBeUndefined();
    expect(xlsx.rawPayload.subarray(0, 2).toString('latin1')).toBe('PK');
  });

  it('web app files are compressed and keep their year-long cache; small answers like index.html are not', async () => {
    const script = readdirSync(path.join(WEB_DIST_DIR, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => ({ f, size: statSync(path.join(WEB_DIST_DIR, 'assets', f)).size }))
      .sort((a, b) => b.size - a.size)[0]!;
    const res = await t.request({
      method: 'GET',
      url: `/assets/${script.f}`,
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(decode(res)).toBe(readFileSync(path.join(WEB_DIST_DIR, 'assets', script.f), 'utf8'));
    const index = await t.request({
      method: 'GET',
      url: '/',
      headers: { accept: 'text/html', 'accept-encoding': 'br, gzip' },
    });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-encoding']).toBeUndefined();
  });
});

describe('CORS', () => {
  const preflight = (app: TestApp, origin: string) =>
    app.request({
      method: 'OPTIONS',
      url: '/api/v1/auth/login',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  it('answers a preflight from an origin in CORS_ORIGINS with access-control-allow-origin', async () => {
    const res = await preflight(hardened, 'https://app.example');
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    const actual = await hardened.request({
      method: 'GET',
      url: '/api/v1/errors',
      headers: { origin: 'https://app.example' },
    });
    expect(actual.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('gives no access-control-allow-origin to an origin not in CORS_ORIGINS (https://evil.example)', async () => {
    const res = await preflight(hardened, 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const actual = await hardened.request({
      method: 'GET',
      url: '/api/v1/errors',
      headers: { origin: 'https://evil.example' },
    });
    expect(actual.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows no cross-origin caller when CORS_ORIGINS is empty', async () => {
    const res = await preflight(t, 'https://app.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('request ids', () => {
  it('every response carries x-request-id, and a problem names it as its instance', async () => {
    const responses = await Promise.all([
      t.request({ method: 'GET', url: '/health' }),
      t.request({ method: 'GET', url: '/api/v1/errors' }),
      t.request({ method: 'GET', url: '/api/v1/auth/me' }),
      t.request({ method: 'GET', url: '/api/v1/no-such-route' }),
      t.request({ method: 'GET', url: '/docs/json' }),
    ]);
    const ids = responses.map((r) => r.headers['x-request-id']);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
    const problem = responses[2]!;
    expect(problem.statusCode).toBe(401);
    expect(problem.json().instance).toBe(problem.headers['x-request-id']);
    expect(responses[3]!.statusCode).toBe(404);
  });

  it('echoes a sane incoming X-Request-Id', async () => {
    const res = await t.request({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { 'x-request-id': 'trace-abc.123:XYZ_9' },
    });
    expect(res.headers['x-request-id']).toBe('trace-abc.123:XYZ_9');
    expect(res.json().instance).toBe('trace-abc.123:XYZ_9');
  });

  it('replaces an unsafe incoming X-Request-Id (spaces, quotes, 101 characters) with a fresh one', async () => {
    for (const bad of ['has space', 'quote"d', 'x'.repeat(101)]) {
      const res = await t.request({ method: 'GET', url: '/health', headers: { 'x-request-id': bad } });
      expect(res.headers['x-request-id']).not.toBe(bad);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

// ---- OpenAPI and the error catalogue -----------------------------------------------------------

describe('API description', () => {
  const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
  interface Operation {
    method: string;
    path: string;
    summary?: string;
    security?: unknown[];
    'x-permission'?: string;
    parameters?: { in: string; name: string; required?: boolean; schema?: { pattern?: string } }[];
  }
  let operations: Operation[];

  beforeAll(async () => {
    const res = await t.request({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    operations = [];
    for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, object>>)) {
      if (!p.startsWith('/api/v1/')) continue;
      for (const m of METHODS) if (item[m]) operations.push({ method: m, path: p, ...item[m] });
    }
  });

  it('is OpenAPI 3.1.0 and every /api/v1 operation has a summary', () => {
    expect(operations.length).toBeGreaterThan(20);
    const missing = operations.filter((o) => typeof o.summary !== 'string' || o.summary.trim() === '');
    expect(missing.map((o) => `${o.method.toUpperCase()} ${o.path}`)).toEqual([]);
  });

  it('every operation that honours If-Match declares the optional if-match header, and no other does', () => {
    const declaring = operations.filter((o) =>
      o.parameters?.some((p) => p.in === 'header' && p.name === 'if-match'),
    );
    const honouring = operations.filter((o) => o.summary?.includes('If-Match'));
    const label = (o: Operation) => `${o.method.toUpperCase()} ${o.path}`;
    expect(honouring.length).toBeGreaterThanOrEqual(20);
    expect(declaring.map(label).sort()).toEqual(honouring.map(label).sort());
    for (const o of declaring) {
      const header = o.parameters!.find((p) => p.name === 'if-match')!;
      expect(header.required ?? false, label(o)).toBe(false);
      expect(new RegExp(header.schema!.pattern!).test('"3"'), label(o)).toBe(true);
    }
  });

  it('every non-public operation states x-permission from the catalogue, and really refuses anonymous callers', async () => {
    const problems: string[] = [];
    for (const op of operations) {
      const url = op.path.replace(/\{[^}]+\}/g, '01a209d6-0000-7000-8000-000000000000');
      const res = await t.request({
        method: op.method.toUpperCase() as 'GET',
        url,
        ...(op.method === 'get' || op.method === 'delete' ? {} : { payload: {} }),
      });
      const refusedAnonymous = res.statusCode === 401 && res.json().type === 'urn:bul:error:unauthenticated';
      const label = `${op.method.toUpperCase()} ${op.path}`;
      const declaredPublic = Array.isArray(op.security) && op.security.length === 0;
      if (refusedAnonymous) {
        if (declaredPublic) problems.push(`${label}: documented as public but needs authentication`);
        const perm = op['x-permission'];
        if (!perm) problems.push(`${label}: no x-permission`);
        else if (perm !== 'any signed-in user' && !isPermission(perm))
          problems.push(`${label}: x-permission ${perm} is not in the permission catalogue`);
      } else {
        if (res.statusCode >= 500) problems.push(`${label}: anonymous call answered ${res.statusCode}`);
        if (!declaredPublic)
          problems.push(`${label}: answers anonymous callers but is not documented as public`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('GET /api/v1/errors lists every code of the error catalogue', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/errors' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { type: string; code: string; status: number; title: string }[];
    expect(items.map((i) => i.code).sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      const item = items.find((i) => i.code === code)!;
      expect(item.type).toBe(`urn:bul:error:${code}`);
      expect(item.status).toBe(entry.status);
      expect(item.title).toBe(entry.title);
    }
  });
});
