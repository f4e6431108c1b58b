// The TLS certificate health check (docs/health.md): real local TLS servers on 127.0.0.1 with
// certificates made here with the openssl CLI (a test CA passed to the check explicitly): valid for
// 90 days (ok), expiring in 7 days (degraded), expired (down), self-signed (down, not trusted), for
// another host (down), a port that refuses and a server that speaks no TLS (down); the thresholds
// as pure functions; which origins are watched; and, through a whole app, the checks listed and
// scored, counted in health.failing_checks, and the built-in "health check failing" rule firing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertServices } from '../src/modules/alerts/service.ts';
import { healthScore } from '../src/modules/system/health-score.ts';
import {
  certificateStatus,
  probeTls,
  type TlsProbeOptions,
  type TlsTarget,
  tlsChecks,
  tlsTargets,
} from '../src/modules/system/tls-check.ts';
import { PLATFORM_ORG_ID } from '../src/platform/db/ids.ts';
import { tickOf } from '../src/platform/jobs/tick-loop.ts';
import { createTestApp, login, requirement, signUp, type TestApp } from './support/test-app.ts';

const DAY = 86_400_000;
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-tls-'));
const servers: net.Server[] = [];
const ports: Record<string, number> = {};
let caPem = '';

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** openssl ca's date: YYMMDDHHMMSSZ (UTCTime). */
const asn1 = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(2, 14).concat('Z');

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A key and a certificate for `san`, signed by the test CA between the two dates. */
function issue(name: string, san: string, from: number, to: number): void {
  openssl('req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-notext',
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.crt`,
    '-startdate',
    asn1(from),
    '-enddate',
    asn1(to),
    '-extfile',
    `${name}.ext`,
  );
}

const sockets = new Set<net.Socket>();

async function serve(name: string, options: tls.TlsOptions | null): Promise<void> {
  const server = options
    ? tls.createServer(options, (s) => {
        s.on('error', () => {});
        s.end();
      })
    : net.createServer((s) => {
        s.on('error', () => {});
        s.end('SSH-2.0-not-tls\r\n');
      });
  server.on('tlsClientError', () => {});
  // Every raw connection, so that the servers close at once at the end.
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  ports[name] = (server.address() as AddressInfo).port;
}

const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
const keyPair = (name: string) => ({ key: read(`${name}.key`), cert: read(`${name}.crt`) });

beforeAll(async () => {
  if (
    !requirement(
      hasOpenssl,
      'the openssl CLI is missing: the TLS certificate tests make their certificates with it',
    )
  )
    return;
  const now = Date.now();
  writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      `database = ${dir}/index.txt`,
      `new_certs_dir = ${dir}`,
      `serial = ${dir}/serial`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'certificate = ca.crt',
      'private_key = ca.key',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'index.txt'), '');
  writeFileSync(path.join(dir, 'serial'), '1000\n');
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '365',
    '-subj',
    '/CN=BUL Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  caPem = read('ca.crt');
  issue('valid', 'DNS:localhost', now - DAY, now + 90 * DAY);
  issue('soon', 'DNS:localhost', now - 80 * DAY, now + 7 * DAY);
  issue('expired', 'DNS:localhost', Date.UTC(2020, 0, 1), Date.UTC(2020, 3, 1));
  issue('elsewhere', 'DNS:elsewhere.example', now - DAY, now + 90 * DAY);
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'self.key',
    '-out',
    'self.crt',
    '-days',
    '90',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
  );
  for (const name of ['valid', 'soon', 'expired', 'elsewhere', 'self']) await serve(name, keyPair(name));
  await serve('plain', null);
  // A port nothing listens on: bound, then closed.
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  ports.refused = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

const target = (name: string): TlsTarget => ({
  host: 'localhost',
  port: ports[name]!,
  authority: `localhost:${ports[name]}`,
});
const options = (): TlsProbeOptions => ({
  timeoutMs: 2000,
  ca: [caPem],
  thresholds: { degradedDays: 14, downDays: 3 },
});
const probe = (name: string, now = new Date()) => probeTls(target(name), now, options());

describe('against real TLS servers', () => {
  it('a certificate valid for 90 days from a trusted CA is ok, with its expiry date', async () => {
    if (!hasOpenssl) return;
    const out = await probe('valid');
    expect(out.status).toBe('ok');
    expect(out.detail).toMatch(/^expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in (89|90) days\)$/);
  });

  it('expiring in 7 days is degraded; in 2 days (the same certificate, later) down', async () => {
    if (!hasOpenssl) return;
    const soon = await probe('soon');
    expect(soon.status).toBe('degraded');
    expect(soon.detail).toMatch(/\(in (6|7) days\)$/);
    const later = await probe('soon', new Date(Date.now() + 5 * DAY));
    expect(later.status).toBe('down');
    expect(later.detail).toMatch(/\(in (1|2) days?\)$/);
  });

  it('an expired certificate is down and says when it expired', async () => {
    if (!hasOpenssl) return;
    expect(await probe('expired')).toEqual({ status: 'down', detail: 'expired 2020-04-01 00:00 UTC' });
  });

  it('a self-signed certificate is down: not trusted', async () => {
    if (!hasOpenssl) return;
    const out = await probe('self');
    expect(out.status).toBe('down');
    expect(out.detail).toMatch(
      /^not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\); expires /,
    );
  });

  it('a certificate from the trusted CA but for another host is down: host name mismatch', async () => {
    if (!hasOpenssl) return;
    const out = await probe('elsewhere');
    expect(out.status).toBe('down');
    expect(out.detail).toMatch(
      /^host name mismatch: localhost is not among the certificate's names \(DNS:elsewhere\.example\); expires /,
    );
  });

  it('without the test CA (default store only) the valid certificate is not trusted', async () => {
    if (!hasOpenssl) return;
    const out = await probeTls(target('valid'), new Date(), { ...options(), ca: null });
    expect(out.status).toBe('down');
    expect(out.detail).toMatch(/^not trusted \(/);
  });

  it('a port that refuses and a server that speaks no TLS are down', async () => {
    if (!hasOpenssl) return;
    const refused = await probe('refused');
    expect(refused.status).toBe('down');
    expect(refused.detail).toMatch(/^cannot connect to localhost:\d+ \(ECONNREFUSED\)$/);
    const plain = await probe('plain');
    expect(plain.status).toBe('down');
    expect(plain.detail).toMatch(/^handshake failed \(/);
  });
});

describe('thresholds and origins', () => {
  const facts = (validTo: number, over = {}) => ({
    validFrom: new Date(0),
    validTo: new Date(validTo),
    trustError: null,
    nameError: null,
    ...over,
  });
  const now = new Date('2026-03-01T00:00:00Z');
  const at = (days: number) => now.getTime() + days * DAY;

  it('ok above 14 days, degraded within 14, down within 3, expired, not yet valid', () => {
    expect(certificateStatus(facts(at(14.01)), now).status).toBe('ok');
    expect(certificateStatus(facts(at(14)), now)).toEqual({
      status: 'degraded',
      detail: 'expires 2026-03-15 00:00 UTC (in 14 days)',
    });
    expect(certificateStatus(facts(at(3.01)), now).status).toBe('degraded');
    expect(certificateStatus(facts(at(3)), now).status).toBe('down');
    expect(certificateStatus(facts(at(-1)), now)).toEqual({
      status: 'down',
      detail: 'expired 2026-02-28 00:00 UTC',
    });
    expect(certificateStatus({ ...facts(at(90)), validFrom: new Date(at(1)) }, now).detail).toBe(
      'not yet valid: valid from 2026-03-02 00:00 UTC; expires 2026-05-30 00:00 UTC',
    );
    // Thresholds are settings (HEALTH_TLS_DEGRADED_DAYS, HEALTH_TLS_DOWN_DAYS).
    expect(certificateStatus(facts(at(20)), now, { degradedDays: 30, downDays: 7 }).status).toBe('degraded');
  });

  it('watches the https origins of PUBLIC_URL and HEALTH_TLS_URLS, once each; none behind an http PUBLIC_URL', () => {
    expect(tlsTargets('http://bul.internal:3000', [])).toEqual([]);
    const deps = { urls: [], extraCa: null, timeoutMs: 1000, thresholds: { degradedDays: 14, downDays: 3 } };
    expect(tlsChecks({ ...deps, publicUrl: 'http://localhost:3000' })).toEqual([]);
    expect(
      tlsTargets('https://bul.example.com', [
        'https://bul.example.com/app',
        'https://front.example.com:8443/',
        'https://[2001:db8::1]/',
      ]),
    ).toEqual([
      { host: 'bul.example.com', port: 443, authority: 'bul.example.com' },
      { host: 'front.example.com', port: 8443, authority: 'front.example.com:8443' },
      { host: '2001:db8::1', port: 443, authority: '[2001:db8::1]' },
    ]);
    const [check] = tlsChecks({ ...deps, publicUrl: 'https://bul.example.com' });
    expect(check).toMatchObject({
      key: 'tls_certificate:bul.example.com',
      kind: 'tls_certificate',
      name: 'TLS certificate (bul.example.com)',
    });
  });

  it('the certificates weigh 2 in the score together, valued at the worst of them', () => {
    const base = [
      { kind: 'database' as const, status: 'ok' as const },
      { kind: 'job_queue' as const, status: 'ok' as const },
      { kind: 'disk' as const, status: 'ok' as const },
    ];
    // 100 × (4 + 2 + 2 + 2 × ½) / 10
    expect(
      healthScore([
        ...base,
        { kind: 'tls_certificate', status: 'ok' },
        { kind: 'tls_certificate', status: 'degraded' },
      ]),
    ).toBe(90);
    expect(healthScore([...base, { kind: 'tls_certificate', status: 'down' }])).toBe(80);
  });
});

describe('in the health round', () => {
  let t: TestApp;
  const EVERY = 30_000;
  const BASE = tickOf(Date.now(), EVERY).getTime() - 60 * EVERY;

  afterAll(async () => {
    await t?.close();
  });

  it('lists each origin, counts the expired one as failing, and the built-in rule fires', async () => {
    if (!hasOpenssl) return;
    t = await createTestApp({
      HEALTH_CHECK_TIMEOUT_MS: '2000',
      HEALTH_TLS_URLS: `https://localhost:${ports.valid}/,https://localhost:${ports.expired}`,
      HEALTH_TLS_CA: caPem,
    });
    const sa = await signUp(t);
    await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [sa.userId]);
    const root = await login(t, sa.email);
    for (let n = 0; n <= 6; n++) expect(await t.services.healthRunner.runTick(BASE + n * EVERY)).toBe(true);

    const res = await t.request({ method: 'GET', url: '/api/v1/system/health', headers: root.headers });
    expect(res.statusCode, res.body).toBe(200);
    const tlsRows = (res.json().checks as { key: string; kind: string; status: string; detail: string }[])
      .filter((c) => c.kind === 'tls_certificate')
      .sort((a, b) => a.status.localeCompare(b.status));
    expect(tlsRows).toMatchObject([
      {
        key: `tls_certificate:localhost:${ports.expired}`,
        status: 'down',
        detail: 'expired 2020-04-01 00:00 UTC',
      },
      { key: `tls_certificate:localhost:${ports.valid}`, status: 'ok' },
    ]);
    // Its history by key.
    const history = await t.request({
      method: 'GET',
      url: `/api/v1/system/health?check=tls_certificate:localhost:${ports.expired}&limit=2`,
      headers: root.headers,
    });
    expect(history.statusCode, history.body).toBe(200);
    expect(history.json().history).toHaveLength(2);

    const failing = await t.services.monitoring.points({
      orgId: null,
      metric: 'health.failing_checks',
      from: new Date(BASE),
      to: new Date(BASE + 7 * EVERY),
      stepSeconds: 30,
    });
    expect(failing.map((p) => p.value)).toEqual([1, 1, 1, 1, 1, 1, 1]);

    // The platform's built-in rule "health check failing" (> 0 for 2 minutes) fires on it.
    const alerts = t.services.alerts as AlertServices;
    await alerts.evaluator.installBuiltins(PLATFORM_ORG_ID); // what the worker does at start
    await alerts.evaluator.evaluateOrg(PLATFORM_ORG_ID, new Date(BASE + 6 * EVERY));
    const { rows } = await t.owner<{ status: string }>(
      `SELECT a.status FROM alerts a JOIN alert_rules r ON r.org_id = a.org_id AND r.id = a.rule_id
       WHERE r.org_id = $1 AND r.builtin_key = 'health_check_failing'`,
      [PLATFORM_ORG_ID],
    );
    expect(rows).toEqual([{ status: 'firing' }]);
  }, 60_000);
});
