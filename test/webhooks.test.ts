// Outbound webhooks (issue 15 item 4): endpoints API, fan-out of domain events, signed delivery
// per Standard Webhooks (verified by the `standardwebhooks` package in a local sink), retries on
// a schedule measured with an injectable clock, the delivery log, resend, SSRF refusals, an endpoint
// disabled after failing for days, and organizations kept apart.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhooksModule } from '../src/modules/webhooks/definition.ts';
import { webhookJobs } from '../src/modules/webhooks/jobs.ts';
import { JITTER, nextAttemptAt, RETRY_DELAYS_SECONDS } from '../src/modules/webhooks/retry.ts';
import { WEBHOOK_EVENT_TYPES } from '../src/modules/webhooks/schemas.ts';
import { type DomainEvent, WebhookService } from '../src/modules/webhooks/service.ts';
import { MasterKey } from '../src/platform/crypto/master-key.ts';
import { SecretBox } from '../src/platform/crypto/secret-box.ts';
import { newId } from '../src/platform/db/ids.ts';
import { Db } from '../src/platform/db/transaction.ts';
import { EVENT_CATALOGUE, EVENT_TYPES } from '../src/platform/events/catalogue.ts';
import { startWorker } from '../src/platform/jobs/worker.ts';
import { isPublicAddress } from '../src/platform/outbound/address-guard.ts';
import { RESPONSE_EXCERPT_BYTES } from '../src/platform/outbound/signed-webhook.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { TEST_MASTER_KEY } from './support/constants.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import {
  addMember,
  createSiblingApp,
  createTestApp,
  type Session,
  signUp,
  type TestApp,
} from './support/test-app.ts';
import { answerStatus, type Sink, startSink } from './support/webhook-sink.ts';

let t: TestApp;
/** Another process on the same database without WEBHOOK_ALLOW_PRIVATE. */
let strict: TestApp;
let adminA: Session;
let adminB: Session;
let manager: Session;
const sinks: Sink[] = [];
const { api, auditTrail } = apiHelpers(
  () => t,
  () => adminA,
);
const box = new SecretBox(new MasterKey(Buffer.from(TEST_MASTER_KEY, 'base64')));

beforeAll(async () => {
  t = await createTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '400' });
  strict = await createSiblingApp(t, {});
  adminA = await signUp(t, { orgName: 'Hooks A' });
  adminB = await signUp(t, { orgName: 'Hooks B' });
  manager = await addMember(t, adminA, 'manager');
});

afterAll(async () => {
  for (const s of sinks) await s.close();
  await strict?.close();
  await t?.close();
});

async function sink(answer?: Parameters<typeof startSink>[0]): Promise<Sink> {
  const s = await startSink(answer);
  sinks.push(s);
  return s;
}

/** Registers an endpoint through the API; the sink verifies with its secret from then on. */
async function endpoint(s: Session, target: Sink, events: string[]): Promise<{ id: string; secret: string }> {
  const res = await api(s, 'POST', '/webhooks/endpoints', { url: target.url, events });
  expect(res.statusCode, res.body).toBe(201);
  target.secret = res.json().secret;
  return res.json();
}

/** A committed domain event of the shared shape, handed to the webhooks handler as the dispatcher will. */
async function emit(
  orgId: string,
  type: string,
  svc: WebhookService = t.services.webhooks,
  payload: Record<string, unknown> = { id: newId() },
): Promise<{ event: DomainEvent; deliveries: string[] }> {
  const event: DomainEvent = {
    id: newId(),
    type,
    orgId,
    occurredAt: new Date().toISOString(),
    actor: { type: 'user', id: null },
    payload,
  };
  const deliveries = await new Db(t.pool).transaction({ orgId, userId: null }, (tx) =>
    svc.enqueueFor(tx, event),
  );
  return { event, deliveries };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A service on the test database whose clock the test moves (no sleeping through the schedule). */
function clockedService(opts: { allowPrivate?: boolean } = {}) {
  const clock = { now: new Date() };
  const svc = new WebhookService({
    db: new Db(t.pool),
    box,
    audit: t.services.audit,
    config: { webhookAllowPrivate: opts.allowPrivate ?? true, webhookTimeoutMs: 400 },
    clock: () => clock.now,
    random: () => 0.5, // no jitter: the schedule exactly
  });
  return { svc, clock };
}

async function deliveryRow(id: string) {
  const { rows } = await t.owner('SELECT * FROM webhook_deliveries WHERE id = $1', [id]);
  return rows[0]!;
}
async function attemptsOf(id: string) {
  const { rows } = await t.owner(
    'SELECT * FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt',
    [id],
  );
  return rows;
}

describe('fan-out and signed delivery through the job queue', () => {
  it('delivers every event once per subscribed endpoint, signed so that standardwebhooks verifies it', async () => {
    const s1 = await sink();
    const s2 = await sink();
    const sB = await sink();
    await endpoint(adminA, s1, ['task.created', 'task.updated']);
    await endpoint(adminA, s2, ['task.created']);
    await endpoint(adminB, sB, ['task.created', 'task.updated', 'project.created']);
    const created = await emit(adminA.orgId, 'task.created');
    const updated = await emit(adminA.orgId, 'task.updated');
    const unsubscribed = await emit(adminA.orgId, 'project.created');
    expect(created.deliveries).toHaveLength(2);
    expect(updated.deliveries).toHaveLength(1);
    expect(unsubscribed.deliveries).toHaveLength(0);
    // The dispatcher runs handlers at least once: the same event again makes no second delivery.
    const again = await new Db(t.pool).transaction({ orgId: adminA.orgId, userId: null }, (tx) =>
      t.services.webhooks.enqueueFor(tx, created.event),
    );
    expect(again).toEqual([]);

    const worker = await startWorker({
      pool: t.pool,
      jobs: webhookJobs(t.services.webhooks),
      concurrency: 2,
      log: pino({ level: 'silent' }),
    });
    try {
      await until('three deliveries', () => s1.requests.length >= 2 && s2.requests.length >= 1);
      const ids = created.deliveries.concat(updated.deliveries);
      await until('deliveries settled', async () => {
        const { rows } = await t.owner<{ n: number }>(
          "SELECT count(*)::int AS n FROM webhook_deliveries WHERE id = ANY ($1) AND status = 'succeeded'",
          [ids],
        );
        return rows[0]!.n === 3;
      });
    } finally {
      await worker.stop();
    }
    expect(s1.requests.map((r) => r.headers['webhook-id']).sort()).toEqual(
      [created.event.id, updated.event.id].sort(),
    );
    expect(s2.requests.map((r) => r.headers['webhook-id'])).toEqual([created.event.id]);
    expect(sB.requests).toEqual([]); // org B's endpoint never sees org A's events
    for (const r of [...s1.requests, ...s2.requests]) {
      expect(r.verifyError).toBeNull();
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    }
    const body = s2.requests[0]!.verified as Record<string, unknown>;
    expect(body).toEqual({
      type: 'task.created',
      timestamp: created.event.occurredAt,
      data: created.event.payload,
    });
    // A request signed with another secret does not verify (the check above can fail).
    const { Webhook } = await import('standardwebhooks');
    const r0 = s2.requests[0]!;
    expect(() => new Webhook(s1.secret!).verify(r0.body, r0.headers as Record<string, string>)).toThrow();
    const [attempt] = await attemptsOf(created.deliveries[0]!);
    expect(attempt).toMatchObject({
      attempt: 1,
      status_code: 200,
      error_class: null,
      response_excerpt: 'ok',
    });
  });
});

describe("fan-out of a batch of events (the dispatcher's fast path)", () => {
  it('makes the deliveries one event at a time would, each with one job, and nothing when the batch is seen again', async () => {
    const s = await signUp(t, { orgName: 'Webhook batch' });
    const both = await sink();
    const createdOnly = await sink();
    const e1 = await endpoint(s, both, ['task.created', 'task.updated']);
    const e2 = await endpoint(s, createdOnly, ['task.created']);
    const event = (type: string): DomainEvent => ({
      id: newId(),
      type,
      orgId: s.orgId,
      occurredAt: new Date().toISOString(),
      actor: { type: 'user', id: s.userId },
      payload: { id: newId(), title: 'O\'Brien "quoted" \\ ✓' },
    });
    const events = [
      event('task.created'),
      event('project.created'),
      event('task.updated'),
      event('task.created'),
    ];
    // Through the module's batch handler, as moduleEventHandlers hands it to the dispatcher.
    const batch = webhooksModule.events?.handlesBatch?.({ services: t.services } as never);
    expect(batch).toBeDefined();
    const db = new Db(t.pool);
    await db.transaction({ orgId: s.orgId, userId: null }, (tx) =>
      // (The dispatcher's events carry their seq too; the webhooks module does not read it.)
      batch!(events as never, { tx, orgId: s.orgId, attempt: 1, log: pino({ level: 'silent' }) }),
    );
    const { rows } = await t.owner<{ id: string; endpoint_id: string; event_id: string; event: DomainEvent }>(
      'SELECT id, endpoint_id, event_id, event FROM webhook_deliveries WHERE org_id = $1 ORDER BY id',
      [s.orgId],
    );
    const made = rows.map((r) => `${r.event_id}>${r.endpoint_id}`).sort();
    expect(made).toEqual(
      [
        `${events[0]!.id}>${e1.id}`,
        `${events[0]!.id}>${e2.id}`,
        `${events[2]!.id}>${e1.id}`,
        `${events[3]!.id}>${e1.id}`,
        `${events[3]!.id}>${e2.id}`,
      ].sort(),
    );
    // Each delivery stores its own event, as sent (quotes and backslashes intact).
    for (const r of rows) expect(r.event).toEqual(events.find((e) => e.id === r.event_id));
    const jobs = async () =>
      (
        await t.owner<{ key: string; payload: { orgId: string; deliveryId: string } }>(
          `SELECT key, payload FROM graphile_worker._private_jobs WHERE key = ANY ($1) ORDER BY key`,
          [rows.map((r) => `webhook-delivery:${r.id}`)],
        )
      ).rows;
    const queued = await jobs();
    expect(queued.map((j) => j.payload.deliveryId).sort()).toEqual(rows.map((r) => r.id).sort());
    for (const j of queued) expect(j.payload.orgId).toBe(s.orgId);
    // Seen again (at least once delivery): no delivery and no job more.
    const again = await db.transaction({ orgId: s.orgId, userId: null }, (tx) =>
      t.services.webhooks.enqueueForEvents(tx, events),
    );
    expect(again).toEqual([]);
    expect(await jobs()).toEqual(queued);
    const { rows: count } = await t.owner<{ n: number }>(
      'SELECT count(*)::int AS n FROM webhook_deliveries WHERE org_id = $1',
      [s.orgId],
    );
    expect(count[0]!.n).toBe(5);
  });
});

describe('retries, timeouts, redirects and large answers', () => {
  it('follows the retry schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) with bounded jitter', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(RETRY_DELAYS_SECONDS).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    RETRY_DELAYS_SECONDS.forEach((seconds, i) => {
      const exact = nextAttemptAt(now, i + 1, () => 0.5)!.getTime() - now.getTime();
      const early = nextAttemptAt(now, i + 1, () => 0)!.getTime() - now.getTime();
      const late = nextAttemptAt(now, i + 1, () => 1 - 1e-12)!.getTime() - now.getTime();
      expect(exact).toBe(seconds * 1000);
      expect(early).toBe(Math.round(seconds * 1000 * (1 - JITTER)));
      expect(late).toBeGreaterThan(seconds * 1000 * (1 + JITTER) - 1);
      expect(late).toBeLessThanOrEqual(seconds * 1000 * (1 + JITTER));
    });
    expect(nextAttemptAt(now, RETRY_DELAYS_SECONDS.length + 1, () => 0.5)).toBeNull();
  });

  it('retries after 500s on the schedule, with a job for each next attempt, then succeeds', async () => {
    let answers = 0;
    const s = await sink((_r, res) => answerStatus(++answers <= 2 ? 500 : 200, `answer ${answers}`)(_r, res));
    await endpoint(adminA, s, ['deal.created']);
    const { svc, clock } = clockedService();
    const t0 = clock.now;
    const { deliveries, event } = await emit(adminA.orgId, 'deal.created', svc);
    const id = deliveries[0]!;
    await svc.deliver(adminA.orgId, id);
    let row = await deliveryRow(id);
    expect(row.status).toBe('pending');
    expect(row.next_attempt_at.getTime()).toBe(t0.getTime() + 5_000);
    const job = await t.owner<{ run_at: Date }>(
      "SELECT run_at FROM graphile_worker._private_jobs WHERE key = 'webhook-delivery:' || $1",
      [id],
    );
    expect(job.rows[0]!.run_at.getTime()).toBe(t0.getTime() + 5_000);

    clock.now = new Date(t0.getTime() + 5_000);
    await svc.deliver(adminA.orgId, id);
    row = await deliveryRow(id);
    expect(row.next_attempt_at.getTime()).toBe(clock.now.getTime() + 300_000);

    clock.now = new Date(row.next_attempt_at.getTime());
    await svc.deliver(adminA.orgId, id);
    row = await deliveryRow(id);
    expect(row).toMatchObject({
      status: 'succeeded',
      attempts: 3,
      last_status_code: 200,
      next_attempt_at: null,
    });
    const attempts = await attemptsOf(id);
    expect(attempts.map((a) => [a.attempt, a.status_code, a.error_class, a.response_excerpt])).toEqual([
      [1, 500, 'http_status', 'answer 1'],
      [2, 500, 'http_status', 'answer 2'],
      [3, 200, null, 'answer 3'],
    ]);
    expect(new Set(s.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([event.id]));
    expect(s.requests.map((r) => Number(r.headers['webhook-timestamp']))).toEqual(
      attempts.map((a) => Math.floor(a.started_at.getTime() / 1000)),
    );

    // The log through the API: each attempt with status, latency, excerpt and next attempt time.
    const list = await api(adminA, 'GET', `/webhooks/endpoints/${row.endpoint_id}/deliveries`);
    expect(list.statusCode, list.body).toBe(200);
    const d = list.json().items.find((x: { id: string }) => x.id === id);
    expect(d).toMatchObject({
      status: 'succeeded',
      attemptCount: 3,
      eventId: event.id,
      eventType: 'deal.created',
    });
    expect(d.attempts[0]).toMatchObject({ attempt: 1, statusCode: 500, errorClass: 'http_status' });
    expect(d.attempts[0].nextAttemptAt).toBe(new Date(t0.getTime() + 5_000).toISOString());
    expect(typeof d.attempts[0].latencyMs).toBe('number');
  });

  it('gives up when the schedule is exhausted (1 + 7 attempts)', async () => {
    const s = await sink(answerStatus(503));
    await endpoint(adminA, s, ['deal.deleted']);
    const { svc, clock } = clockedService();
    const id = (await emit(adminA.orgId, 'deal.deleted', svc)).deliveries[0]!;
    for (let i = 0; i < 8; i++) {
      await svc.deliver(adminA.orgId, id);
      const row = await deliveryRow(id);
      if (row.next_attempt_at) clock.now = row.next_attempt_at;
    }
    expect(await deliveryRow(id)).toMatchObject({ status: 'failed', attempts: 8, next_attempt_at: null });
    await svc.deliver(adminA.orgId, id); // a stray job does nothing more
    expect(s.requests).toHaveLength(8);
  });

  it('records a hanging endpoint as a timeout and retries it', async () => {
    let hang = true;
    const s = await sink((_r, res) => {
      if (!hang) answerStatus(204, '')(_r, res);
    });
    await endpoint(adminA, s, ['invoice.created']);
    const { svc, clock } = clockedService();
    const id = (await emit(adminA.orgId, 'invoice.created', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, id);
    const first = (await attemptsOf(id))[0]!;
    expect(first).toMatchObject({ error_class: 'timeout', status_code: null });
    expect(first.latency_ms).toBeGreaterThanOrEqual(350);
    expect(first.latency_ms).toBeLessThan(5_000);
    hang = false;
    clock.now = (await deliveryRow(id)).next_attempt_at;
    await svc.deliver(adminA.orgId, id);
    expect(await deliveryRow(id)).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 204 });
  });

  it('records a refused connection as such', async () => {
    const s = await sink();
    await endpoint(adminA, s, ['contract.deleted']);
    await s.close(); // nothing listens on its port any more
    const { svc } = clockedService();
    const id = (await emit(adminA.orgId, 'contract.deleted', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, id);
    expect(await attemptsOf(id)).toMatchObject([{ error_class: 'connection_refused', status_code: null }]);
    expect((await deliveryRow(id)).status).toBe('pending');
  });

  it('records a certificate BUL cannot trust as a TLS failure, and retries it on the schedule', async () => {
    // A self-signed certificate for 127.0.0.1, made for this test by openssl.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bul-tls-'));
    let server: https.Server | undefined;
    try {
      const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
      const args = 'req -x509 -nodes -days 1 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1';
      execFileSync('openssl', [...args.split(' '), '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1'], {
        stdio: 'ignore',
      });
      let requests = 0;
      server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
        requests++;
        res.end('ok');
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const res = await api(adminA, 'POST', '/webhooks/endpoints', { url, events: ['client.updated'] });
      expect(res.statusCode, res.body).toBe(201);
      const { svc, clock } = clockedService();
      const t0 = clock.now;
      const id = (await emit(adminA.orgId, 'client.updated', svc)).deliveries[0]!;
      await svc.deliver(adminA.orgId, id);
      expect(await attemptsOf(id)).toMatchObject([{ attempt: 1, error_class: 'tls', status_code: null }]);
      expect(await deliveryRow(id)).toMatchObject({
        status: 'pending',
        last_error_class: 'tls',
        next_attempt_at: new Date(t0.getTime() + 5_000),
      });
      clock.now = new Date(t0.getTime() + 5_000);
      await svc.deliver(adminA.orgId, id);
      expect((await attemptsOf(id)).map((a) => [a.attempt, a.error_class])).toEqual([
        [1, 'tls'],
        [2, 'tls'],
      ]);
      expect((await deliveryRow(id)).next_attempt_at).toEqual(new Date(clock.now.getTime() + 300_000));
      expect(requests).toBe(0); // nothing was sent over a connection BUL did not trust
      // Through the API, the delivery log says what went wrong.
      const one = (await api(adminA, 'GET', `/webhooks/deliveries/${id}`)).json();
      expect(one).toMatchObject({ status: 'pending', lastErrorClass: 'tls', attemptCount: 2 });
    } finally {
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not follow a redirect: a 3xx is a failure recorded as such', async () => {
    const target = await sink();
    const s = await sink((_r, res) => {
      res.writeHead(302, { location: target.url });
      res.end();
    });
    await endpoint(adminA, s, ['contract.created']);
    const { svc } = clockedService();
    const id = (await emit(adminA.orgId, 'contract.created', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, id);
    expect(await attemptsOf(id)).toMatchObject([{ status_code: 302, error_class: 'redirect' }]);
    expect((await deliveryRow(id)).status).toBe('pending'); // retried later
    expect(target.requests).toHaveLength(0);
  });

  it('keeps the first 64 KB of a 10 MB answer and stops reading the rest', async () => {
    let finished: boolean | null = null;
    const s = await sink((_r, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.on('close', () => {
        finished = res.writableFinished;
      });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let left = 160; // 160 × 64 KB = 10 MB
      const pump = () => {
        while (left > 0) {
          left--;
          if (left === 0) res.end(chunk);
          else if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    await endpoint(adminA, s, ['client.created']);
    const { svc } = clockedService();
    const id = (await emit(adminA.orgId, 'client.created', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, id);
    const a = (await attemptsOf(id))[0]!;
    expect(a).toMatchObject({ status_code: 200, error_class: null, response_truncated: true });
    expect(a.response_excerpt.length).toBe(RESPONSE_EXCERPT_BYTES);
    await until('the sink to see the connection closed', () => finished !== null);
    expect(finished).toBe(false); // BUL hung up; the 10 MB were never all read
    expect((await deliveryRow(id)).status).toBe('succeeded');
  });
});

describe('an endpoint failing for days', () => {
  it('is disabled after 5 days of failures, audited, and gets no more deliveries', async () => {
    const s = await sink(answerStatus(500));
    const ep = await endpoint(adminA, s, ['milestone.created']);
    const { svc, clock } = clockedService();
    const t0 = clock.now;
    const first = (await emit(adminA.orgId, 'milestone.created', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, first);
    let row = (await t.owner('SELECT * FROM webhook_endpoints WHERE id = $1', [ep.id])).rows[0]!;
    expect(row).toMatchObject({ enabled: true });
    expect(row.failing_since.getTime()).toBe(t0.getTime());

    clock.now = new Date(t0.getTime() + 4 * 24 * 3600_000);
    const second = (await emit(adminA.orgId, 'milestone.created', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, second);
    expect((await t.owner('SELECT enabled FROM webhook_endpoints WHERE id = $1', [ep.id])).rows[0]).toEqual({
      enabled: true,
    });

    clock.now = new Date(t0.getTime() + 5 * 24 * 3600_000 + 1000);
    const third = (await emit(adminA.orgId, 'milestone.created', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, third);
    row = (await t.owner('SELECT * FROM webhook_endpoints WHERE id = $1', [ep.id])).rows[0]!;
    expect(row).toMatchObject({ enabled: false, disabled_reason: 'failing' });
    const trail = await auditTrail('webhook_endpoint', ep.id);
    expect(trail.at(-1)).toMatchObject({ action: 'webhook_endpoint.disable', actor: { id: null } });
    expect(trail.at(-1)!.metadata).toMatchObject({ reason: 'failing' });
    // The admins are told: a catalogued domain event, written by the very transaction that disabled
    // the endpoint (same xmin), so it exists exactly when the disable committed.
    const disabledEvents = async () =>
      (
        await t.owner(
          `SELECT e.type, e.actor_type, e.actor_id, e.payload, e.xmin::text = w.xmin::text AS same_tx
           FROM domain_events e JOIN webhook_endpoints w ON w.org_id = e.org_id AND w.id::text = e.payload->>'id'
           WHERE e.org_id = $1 AND e.type = 'webhook.endpoint_disabled' AND w.id = $2`,
          [adminA.orgId, ep.id],
        )
      ).rows;
    const [notice, ...more] = await disabledEvents();
    expect(more).toEqual([]);
    expect(notice).toEqual({
      type: 'webhook.endpoint_disabled',
      actor_type: 'system',
      actor_id: null,
      payload: { id: ep.id, url: s.url, reason: 'failing', failingSince: t0.toISOString() },
      same_tx: true,
    });
    expect(Value.Check(EVENT_CATALOGUE['webhook.endpoint_disabled'].payload, notice!.payload)).toBe(true);
    expect(EVENT_CATALOGUE['webhook.endpoint_disabled'].read).toBe('webhooks:manage');

    expect((await emit(adminA.orgId, 'milestone.created', svc)).deliveries).toEqual([]);
    const sent = s.requests.length;
    await svc.deliver(adminA.orgId, first); // its retry comes due: not sent to a disabled endpoint
    expect(s.requests.length).toBe(sent);
    expect(await deliveryRow(first)).toMatchObject({
      status: 'failed',
      last_error_class: 'endpoint_disabled',
    });
    expect(await disabledEvents()).toHaveLength(1); // told once, not at every later failure

    // Resending needs the endpoint enabled again.
    expectProblem(await api(adminA, 'POST', `/webhooks/deliveries/${first}/resend`), 409, 'conflict');
    const on = await api(adminA, 'PATCH', `/webhooks/endpoints/${ep.id}`, { enabled: true });
    expect(on.json()).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
  });

  it('its notice is for BUL admins only: no endpoint subscribes to it, so the engine never handles its own event', async () => {
    // The payload holds the disabled endpoint's URL (often a credential): not for another receiver.
    expectFieldError(
      await api(adminA, 'POST', '/webhooks/endpoints', {
        url: 'http://127.0.0.1:1/x',
        events: ['task.created', 'webhook.endpoint_disabled'],
      }),
      'events[1]',
      'enum',
    );
    const handles = webhooksModule.events?.handles?.({ services: t.services } as never) ?? {};
    expect(Object.keys(handles)).toContain('task.created');
    expect(Object.keys(handles)).not.toContain('webhook.endpoint_disabled');
    // The other event no endpoint takes: a member's inbox item (notification.created), personal.
    expect(Object.keys(handles)).not.toContain('notification.created');
    expect([...WEBHOOK_EVENT_TYPES, 'webhook.endpoint_disabled', 'notification.created'].sort()).toEqual(
      [...EVENT_TYPES].sort(),
    );
  });

  it('a success ends the failing streak', async () => {
    let status = 500;
    const s = await sink((r, res) => answerStatus(status)(r, res));
    const ep = await endpoint(adminA, s, ['milestone.deleted']);
    const { svc, clock } = clockedService();
    await svc.deliver(adminA.orgId, (await emit(adminA.orgId, 'milestone.deleted', svc)).deliveries[0]!);
    status = 200;
    clock.now = new Date(clock.now.getTime() + 3 * 24 * 3600_000);
    await svc.deliver(adminA.orgId, (await emit(adminA.orgId, 'milestone.deleted', svc)).deliveries[0]!);
    status = 500;
    clock.now = new Date(clock.now.getTime() + 3 * 24 * 3600_000);
    await svc.deliver(adminA.orgId, (await emit(adminA.orgId, 'milestone.deleted', svc)).deliveries[0]!);
    const row = (await t.owner('SELECT * FROM webhook_endpoints WHERE id = $1', [ep.id])).rows[0]!;
    expect(row.enabled).toBe(true);
    expect(row.failing_since.getTime()).toBe(clock.now.getTime());
  });
});

describe('endpoints API', () => {
  it('shows the secret once (whsec_ + base64 of 32 bytes), stores it sealed, audits every change', async () => {
    const s = await sink();
    const res = await api(adminA, 'POST', '/webhooks/endpoints', {
      url: s.url,
      events: ['task.deleted', 'comment.added'],
      description: 'CRM sync',
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret.slice(6), 'base64')).toHaveLength(32);
    expect(created).toMatchObject({ url: s.url, events: ['comment.added', 'task.deleted'], enabled: true });
    const stored = (await t.owner('SELECT secret_sealed FROM webhook_endpoints WHERE id = $1', [created.id]))
      .rows[0]!.secret_sealed as string;
    expect(stored).not.toContain(created.secret.slice(6, 20));
    const got = await api(adminA, 'GET', `/webhooks/endpoints/${created.id}`);
    expect(got.json()).not.toHaveProperty('secret');
    expect(JSON.stringify((await api(adminA, 'GET', '/webhooks/endpoints')).json())).not.toContain(
      created.secret,
    );

    const patched = await api(adminA, 'PATCH', `/webhooks/endpoints/${created.id}`, {
      events: ['task.deleted'],
      enabled: false,
    });
    expect(patched.json()).toMatchObject({
      events: ['task.deleted'],
      enabled: false,
      disabledReason: 'manual',
    });
    expect((await emit(adminA.orgId, 'task.deleted')).deliveries).toEqual([]); // disabled: nothing
    await api(adminA, 'PATCH', `/webhooks/endpoints/${created.id}`, { enabled: true });

    // Rotation: deliveries are signed with the new secret only.
    const rotated = await api(adminA, 'POST', `/webhooks/endpoints/${created.id}/rotate-secret`);
    expect(rotated.statusCode, rotated.body).toBe(200);
    const secret = rotated.json().secret as string;
    expect(secret).not.toBe(created.secret);
    s.secret = secret;
    const { svc } = clockedService();
    const id = (await emit(adminA.orgId, 'task.deleted', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, id);
    expect(s.requests.at(-1)!.verifyError).toBeNull();

    // Resend: another attempt with the same webhook-id, logged as attempt 2.
    const resent = await api(adminA, 'POST', `/webhooks/deliveries/${id}/resend`);
    expect(resent.statusCode, resent.body).toBe(202);
    expect(resent.json()).toMatchObject({ id, status: 'pending' });
    await svc.deliver(adminA.orgId, id);
    expect(s.requests.slice(-2).map((r) => r.headers['webhook-id'])).toEqual([
      (await deliveryRow(id)).event_id,
      (await deliveryRow(id)).event_id,
    ]);
    expect((await attemptsOf(id)).map((a) => a.attempt)).toEqual([1, 2]);
    const one = await api(adminA, 'GET', `/webhooks/deliveries/${id}`);
    expect(one.json()).toMatchObject({ id, status: 'succeeded', attemptCount: 2 });

    const del = await api(adminA, 'DELETE', `/webhooks/endpoints/${created.id}`);
    expect(del.statusCode).toBe(204);
    expect(
      (await t.owner('SELECT 1 FROM webhook_delivery_attempts WHERE delivery_id = $1', [id])).rowCount,
    ).toBe(0);
    expect(await deliveryRow(id)).toBeUndefined(); // gone with its endpoint
    expect((await auditTrail('webhook_endpoint', created.id)).map((e) => e.action)).toEqual([
      'webhook_endpoint.create',
      'webhook_endpoint.update',
      'webhook_endpoint.update',
      'webhook_endpoint.rotate_secret',
      'webhook_endpoint.delete',
    ]);
    expect((await auditTrail('webhook_delivery', id)).map((e) => e.action)).toEqual([
      'webhook_delivery.resend',
    ]);
  });

  it('is for org admins only', async () => {
    expectProblem(await api(manager, 'GET', '/webhooks/endpoints'), 403, 'forbidden');
    expectProblem(
      await api(manager, 'POST', '/webhooks/endpoints', {
        url: 'http://127.0.0.1:1/x',
        events: ['task.created'],
      }),
      403,
      'forbidden',
    );
  });

  it("keeps another organization's endpoints and deliveries out of reach (404, nothing changed)", async () => {
    const s = await sink();
    const ep = await endpoint(adminA, s, ['role.changed']);
    const { svc } = clockedService();
    const id = (await emit(adminA.orgId, 'role.changed', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, id);
    const before = (
      await t.owner('SELECT to_jsonb(e)::text AS r FROM webhook_endpoints e WHERE id = $1', [ep.id])
    ).rows[0]!.r;
    for (const [method, url, body] of [
      ['GET', `/webhooks/endpoints/${ep.id}`],
      ['PATCH', `/webhooks/endpoints/${ep.id}`, { enabled: false }],
      ['DELETE', `/webhooks/endpoints/${ep.id}`],
      ['POST', `/webhooks/endpoints/${ep.id}/rotate-secret`],
      ['GET', `/webhooks/endpoints/${ep.id}/deliveries`],
      ['GET', `/webhooks/deliveries/${id}`],
      ['POST', `/webhooks/deliveries/${id}/resend`],
    ] as const) {
      expectProblem(await api(adminB, method, url, body), 404, 'not-found');
    }
    const listB = (await api(adminB, 'GET', '/webhooks/endpoints')).json().items as { id: string }[];
    expect(listB.map((e) => e.id)).not.toContain(ep.id);
    const after = (
      await t.owner('SELECT to_jsonb(e)::text AS r FROM webhook_endpoints e WHERE id = $1', [ep.id])
    ).rows[0]!.r;
    expect(after).toBe(before);
    expect(await attemptsOf(id)).toHaveLength(1);
  });

  it('refuses bad input with a 400 naming the field, and stores nothing', async () => {
    const count = async () =>
      (
        await t.owner<{ n: number }>('SELECT count(*)::int AS n FROM webhook_endpoints WHERE org_id = $1', [
          adminA.orgId,
        ])
      ).rows[0]!.n;
    const before = await count();
    const post = (body: unknown) => api(adminA, 'POST', '/webhooks/endpoints', body);
    expectFieldError(await post({ url: 'not a url', events: ['task.created'] }), 'url', 'url');
    expectFieldError(await post({ url: 'ftp://example.com/x', events: ['task.created'] }), 'url', 'url');
    expectFieldError(
      await post({ url: 'https://user:pw@example.com/x', events: ['task.created'] }),
      'url',
      'url',
    );
    expectFieldError(await post({ url: 'x'.repeat(2001), events: ['task.created'] }), 'url', 'maxLength');
    expectFieldError(
      await post({ url: 'https://example.com/x', events: ['task.exploded'] }),
      'events[0]',
      'enum',
    );
    expectFieldError(await post({ url: 'https://example.com/x', events: [] }), 'events', 'minItems');
    const many = Array.from({ length: 51 }, () => 'task.created');
    expectFieldError(await post({ url: 'https://example.com/x', events: many }), 'events', 'maxItems');
    expectFieldError(await post({ url: 'https://example.com/x' }), 'events', 'required');
    const ep = await endpoint(adminA, await sink(), ['task.created']);
    expectFieldError(
      await api(adminA, 'PATCH', `/webhooks/endpoints/${ep.id}`, { events: ['nope'] }),
      'events[0]',
      'enum',
    );
    expect(await count()).toBe(before + 1);
  });
});

describe('SSRF guard', () => {
  it('classifies addresses: only public unicast passes', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '0.1.2.3',
      '100.64.0.1',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::',
    ])
      expect(isPublicAddress(a), a).toBe(false);
    for (const a of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect(isPublicAddress(a), a).toBe(true);
  });

  it('refuses endpoints that resolve to non-public addresses unless WEBHOOK_ALLOW_PRIVATE', async () => {
    const post = (url: string) =>
      strict.request({
        method: 'POST',
        url: '/api/v1/webhooks/endpoints',
        headers: adminA.headers,
        payload: { url, events: ['task.created'] },
      });
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://[::1]/hook',
      'http://10.0.0.7/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://0.0.0.0/',
      'http://[::ffff:127.0.0.1]/',
      'https://localhost/hook', // a name resolving to loopback
    ]) {
      const body = expectFieldError(await post(url), 'url', 'publicAddress');
      expect(body.errors[0].message, url).toMatch(/public addresses only/);
    }
    expectFieldError(await post('https://no-such-host.invalid/hook'), 'url', 'resolvable');
    const ok = await post('https://93.184.215.14/hook'); // a public address literal: accepted
    expect(ok.statusCode, ok.body).toBe(201);
    // The permissive process accepts loopback (that is what the flag is for).
    expect(
      (
        await api(adminA, 'POST', '/webhooks/endpoints', {
          url: 'http://127.0.0.1:1/x',
          events: ['task.created'],
        })
      ).statusCode,
    ).toBe(201);
  });

  it('checks again at delivery time: an endpoint that now resolves to loopback is not called', async () => {
    const s = await sink();
    await endpoint(adminA, s, ['invoice.deleted']);
    const { svc } = clockedService({ allowPrivate: false });
    const id = (await emit(adminA.orgId, 'invoice.deleted', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, id);
    expect(await attemptsOf(id)).toMatchObject([{ error_class: 'blocked_address', status_code: null }]);
    expect(s.requests).toHaveLength(0);
  });

  it("checks names in the connection's own DNS lookup: a name resolving to loopback is not called", async () => {
    const s = await sink();
    s.url = s.url.replace('127.0.0.1', 'localhost');
    await endpoint(adminA, s, ['invoice.updated']);
    const { svc } = clockedService({ allowPrivate: false });
    const id = (await emit(adminA.orgId, 'invoice.updated', svc)).deliveries[0]!;
    await svc.deliver(adminA.orgId, id);
    expect(await attemptsOf(id)).toMatchObject([{ error_class: 'blocked_address', status_code: null }]);
    expect(s.requests).toHaveLength(0);
    // The same endpoint is reached when private addresses are allowed (the refusal above is the guard's).
    const open = clockedService({ allowPrivate: true }).svc;
    const id2 = (await emit(adminA.orgId, 'invoice.updated', open)).deliveries[0]!;
    await open.deliver(adminA.orgId, id2);
    expect(s.requests).toHaveLength(1);
  });
});
