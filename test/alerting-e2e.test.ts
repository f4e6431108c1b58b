// The end-to-end check of issue 17: real `bul start --role api` and `--role worker` processes on one
// PostgreSQL, nothing mocked. A load of API requests of which far more than 5 % fail with a real
// 500 (the table the route reads is renamed away by the database owner) drives the organization's
// http.error_rate.percent over the built-in rule `error_rate_high` (tuned to the shortest window the
// validation allows: one sampling interval), the alert fires, and alert.fired reaches a local
// signed-webhook receiver and the admin's in-app inbox; once the table is back and the same load
// only succeeds, the alert resolves by itself and alert.resolved arrives the same ways.
import { randomBytes } from 'node:crypto';
import { setTimeout as pace } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './support/constants.ts';
import {
  callApi as call,
  cleanupProcesses,
  freePort,
  makeDataDir,
  spawnBul,
  waitForHealth,
} from './support/process.ts';
import { createTestDatabase, dropTestDatabase, uniqueEmail, uniqueSubdomain } from './support/test-app.ts';
import { type Sink, startSink } from './support/webhook-sink.ts';

/** The minimum MONITOR_SAMPLE_SECONDS (src/config.ts): also the shortest window a rule may have. */
const SAMPLE_SECONDS = 5;
const START_TIMEOUT = 60_000;
/** A tick of the evaluator is 15 s; a few of them, plus the notification runner. */
const ALERT_TIMEOUT = 60_000;

const databases: { adminUrl: string; dbName: string }[] = [];
let sink: Sink | null = null;
let owner: pg.Client | null = null;

afterAll(async () => {
  await cleanupProcesses();
  await sink?.close();
  await owner?.end().catch(() => {});
  for (const d of databases) await dropTestDatabase(d.adminUrl, d.dbName);
}, 60_000);

/** Polls `get` (on the API) until it answers something, at most `timeoutMs`. */
async function waitFor<T>(
  get: () => Promise<T | undefined>,
  what: string,
  timeoutMs = ALERT_TIMEOUT,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pace(250);
  }
}

interface RuleItem {
  id: string;
  builtinKey: string | null;
}

interface AlertItem {
  id: string;
  status: string;
  ruleId: string;
  resolution: string | null;
  value: number | null;
}

it('an error rate over 5 % fires error_rate_high to a webhook and the inbox, and it resolves when the errors stop', async () => {
  const started = Date.now();
  const db = await createTestDatabase();
  databases.push(db);
  sink = await startSink();
  const env = {
    DATABASE_URL: db.ownerUrl,
    BUL_MASTER_KEY: TEST_MASTER_KEY,
    LOG_LEVEL: 'warn',
    PUBLIC_URL: 'http://bul.test',
    DATABASE_POOL_MAX: '5',
    // The sink listens on 127.0.0.1, which the SSRF guard refuses unless told otherwise.
    WEBHOOK_ALLOW_PRIVATE: 'true',
    MONITOR_SAMPLE_SECONDS: String(SAMPLE_SECONDS),
  };
  const port = await freePort();
  const api = spawnBul(['start', '--role', 'api'], {
    ...env,
    PORT: String(port),
    BUL_DATA_DIR: makeDataDir(),
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(api, base, START_TIMEOUT);

  const email = uniqueEmail('alerting');
  await call(base, 'POST', '/auth/register', null, {
    email,
    password: STRONG_PASSWORD,
    name: 'Alerting Admin',
    organization: { name: 'Alerting', subdomain: uniqueSubdomain('alerting') },
  });
  const token = (await call(base, 'POST', '/auth/login', null, { email, password: STRONG_PASSWORD }))
    .accessToken as string;
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  await call(base, 'POST', '/notifications/channels', token, {
    kind: 'webhook',
    name: 'Local sink',
    config: { url: sink.url },
    secrets: { secret },
  });
  sink.secret = secret;
  const roles = (await call(base, 'GET', '/roles', token)).items as { id: string; key: string | null }[];
  const admin = roles.find((r) => r.key === 'org_admin');
  expect(admin).toBeDefined();

  // The worker installs the built-in rules of the organizations that lack them on its first tick.
  const worker = spawnBul(['start', '--role', 'worker'], {
    ...env,
    LOG_LEVEL: 'info',
    BUL_DATA_DIR: makeDataDir(),
  });
  await worker.waitForLog((l) => l.msg === 'worker composed', 'the worker', START_TIMEOUT);
  const rule = await waitFor(async () => {
    const rules = (await call(base, 'GET', '/alerts/rules?limit=200', token)).items as RuleItem[];
    return rules.find((r) => r.builtinKey === 'error_rate_high');
  }, 'the built-in rule error_rate_high');
  const tuned = await call(base, 'PATCH', `/alerts/rules/${rule.id}`, token, {
    conditions: [
      { metric: 'http.error_rate.percent', operator: 'gt', threshold: 5, forMinutes: SAMPLE_SECONDS / 60 },
    ],
    evaluateEverySeconds: 15,
    cooldownMinutes: 1,
    channels: ['in_app', 'webhook'],
    recipients: [{ kind: 'role', roleId: admin!.id }],
  });
  expect(tuned).toMatchObject({
    evaluateEverySeconds: 15,
    cooldownMinutes: 1,
    channels: ['in_app', 'webhook'],
  });

  // The load: GET /clients, paced (one request every 50 ms, two in flight) so the 2-core test
  // machine keeps up; every answer is counted by status.
  const statuses = new Map<number, number>();
  let loading = true;
  const lane = async () => {
    while (loading) {
      const res = await fetch(`${base}/api/v1/clients?limit=5`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      await pace(50);
    }
  };

  // The fault: the table the route reads goes away (renamed by the database owner), so every
  // GET /clients fails in PostgreSQL (42P01) and BUL answers 500 itself.
  owner = new pg.Client({ connectionString: db.ownerUrl });
  await owner.connect();
  await owner.query('ALTER TABLE clients RENAME TO clients_e2e_away');
  const load = Promise.all([lane(), lane()]);
  try {
    await expect.poll(() => statuses.get(500) ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(statuses.get(200) ?? 0).toBe(0);

    const alertOf = async (): Promise<AlertItem | undefined> =>
      ((await call(base, 'GET', `/alerts/list?ruleId=${rule.id}`, token)).items as AlertItem[])[0];
    await expect
      .poll(async () => (await alertOf())?.status, { timeout: ALERT_TIMEOUT, interval: 500 })
      .toBe('firing');
    const fired = (await alertOf())!;
    expect(fired.value).toBeGreaterThan(5);

    // alert.fired: one signed POST to the sink (once per event), and the admin's inbox.
    // (The health checks of the channel HEAD the sink's root too: only signed messages count.)
    const hooksOf = (eventType: string) =>
      sink!.requests.filter(
        (r) =>
          r.headers['webhook-id'] &&
          (JSON.parse(r.body) as { data: { eventType: string } }).data.eventType === eventType,
      );
    await expect.poll(() => hooksOf('alert.fired').length, { timeout: ALERT_TIMEOUT, interval: 200 }).toBe(1);
    const firedHook = hooksOf('alert.fired')[0]!;
    expect(firedHook.verifyError).toBeNull();
    expect(firedHook.verified).toMatchObject({ type: 'notification', data: { eventType: 'alert.fired' } });
    const inboxOf = async (eventType: string) =>
      ((await call(base, 'GET', '/me/notifications', token)).items as { eventType: string }[]).filter(
        (n) => n.eventType === eventType,
      );
    await expect
      .poll(async () => (await inboxOf('alert.fired')).length, { timeout: ALERT_TIMEOUT, interval: 500 })
      .toBe(1);

    // The fault is removed: the same load now only succeeds, and the alert resolves by itself.
    await owner.query('ALTER TABLE clients_e2e_away RENAME TO clients');
    await expect.poll(() => statuses.get(200) ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect
      .poll(async () => (await alertOf())?.status, { timeout: ALERT_TIMEOUT, interval: 500 })
      .toBe('resolved');
    const resolved = (await alertOf())!;
    expect(resolved).toMatchObject({ id: fired.id, resolution: 'auto' });
    await expect
      .poll(() => hooksOf('alert.resolved').length, { timeout: ALERT_TIMEOUT, interval: 200 })
      .toBe(1);
    expect(hooksOf('alert.resolved')[0]!.verifyError).toBeNull();
    await expect
      .poll(async () => (await inboxOf('alert.resolved')).length, { timeout: ALERT_TIMEOUT, interval: 500 })
      .toBe(1);
    // One episode, no flapping: the rule's only alert went firing, then resolved, and nothing else.
    expect((await call(base, 'GET', `/alerts/list?ruleId=${rule.id}`, token)).items).toHaveLength(1);
    const { history } = await call(base, 'GET', `/alerts/${fired.id}`, token);
    expect(history.map((h: { from: string | null; to: string }) => [h.from, h.to])).toEqual([
      [null, 'firing'],
      ['firing', 'resolved'],
    ]);
    // Every 5xx of the run was the fault's: none after it was removed, nothing else failed.
    expect([...statuses.keys()].sort()).toEqual([200, 500]);
    expect(sink.requests.filter((r) => r.headers['webhook-id']).every((r) => r.verifyError === null)).toBe(
      true,
    );
  } finally {
    loading = false;
    await load;
    await owner.query('ALTER TABLE IF EXISTS clients_e2e_away RENAME TO clients').catch(() => {});
  }
  worker.kill('SIGTERM');
  api.kill('SIGTERM');
  await Promise.all([worker.exited, api.exited]);
  console.log(`alerting e2e: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 240_000);
