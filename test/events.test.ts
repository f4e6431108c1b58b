// Domain events (issue 15, item 2): the catalogue and the transactional outbox (emitted with the
// change, nothing on rollback, every payload of its schema), and dispatch: once per handler and
// event despite redelivery, commit order per organization, retries then the dead letter for org
// admins only (GET /events/failures, retry), and a worker killed with SIGKILL in the middle of
// 1,000 events that, restarted, finishes them with every effect exactly once.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateSync } from 'otplib';
import pino from 'pino';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../src/modules/audit/service.ts';
import { newId } from '../src/platform/db/ids.ts';
import { Db, inTransaction, onCommit } from '../src/platform/db/transaction.ts';
import { EVENT_CATALOGUE, type EventInput, isEventType } from '../src/platform/events/catalogue.ts';
import { EventDispatcher } from '../src/platform/events/dispatcher.ts';
import { emitEvents } from '../src/platform/events/outbox.ts';
import { type EventHandler, EventHandlerRegistry } from '../src/platform/events/registry.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { expectProblem } from './support/problems.ts';
import { ROOT } from './support/process.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let admin: Session; // org_admin of A
let manager: Session; // of A: no events:manage
let other: Session; // org_admin of B

const { api } = apiHelpers(
  () => t,
  () => admin,
);
const quiet = pino({ level: process.env.EV_LOG ?? 'silent' });

async function created(res: { statusCode: number; body: string; json(): unknown }) {
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; version: number };
}

interface Row {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  actor_type: string;
  actor_id: string | null;
}
async function eventsOf(orgId: string, type?: string): Promise<Row[]> {
  const { rows } = await t.owner<Row>(
    `SELECT id, type, payload, actor_type, actor_id FROM domain_events
     WHERE org_id = $1 AND ($2::text IS NULL OR type = $2) ORDER BY emitted`,
    [orgId, type ?? null],
  );
  return rows;
}

/**
 * A new organization with no events yet: its founder's sign-in (security.login_succeeded) is
 * removed, so the dispatch tests number its events from 1.
 */
async function orgWithoutEvents(orgName: string): Promise<Session> {
  const founder = await signUp(t, { orgName });
  await t.owner('DELETE FROM domain_events WHERE org_id = $1', [founder.orgId]);
  await t.owner('DELETE FROM domain_event_heads WHERE org_id = $1', [founder.orgId]);
  return founder;
}

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Events A' });
  other = await orgWithoutEvents('Events B');
  manager = await addMember(t, admin, 'manager');
  // What test handlers write: a plain table (no RLS) the owner reads back.
  await t.owner(`CREATE TABLE test_handled (org_id uuid, handler text, event_id uuid, type text, seq bigint,
    n bigserial); GRANT SELECT, INSERT ON test_handled TO bul_runtime;
    GRANT USAGE ON SEQUENCE test_handled_n_seq TO bul_runtime`);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe('emission', () => {
  it('every mutation of the catalogue emits its events, each payload of its schema', async () => {
    const A = admin;
    const client = await created(await api(A, 'POST', '/clients', { name: 'Acme' }));
    await api(A, 'PATCH', `/clients/${client.id}`, { notes: 'n' });
    const project = await created(await api(A, 'POST', '/projects', { name: 'P', clientId: client.id }));
    const pr = await api(A, 'PATCH', `/projects/${project.id}`, { status: 'active' });
    expect(pr.statusCode, pr.body).toBe(200);
    const ms = await created(await api(A, 'POST', `/projects/${project.id}/milestones`, { name: 'M1' }));
    await api(A, 'PATCH', `/projects/${project.id}/milestones/${ms.id}`, { name: 'M2' });
    await api(A, 'DELETE', `/projects/${project.id}/milestones/${ms.id}`);
    const task = await created(await api(A, 'POST', '/tasks', { projectId: project.id, title: 'T' }));
    const tu = await api(A, 'PATCH', `/tasks/${task.id}`, {
      status: 'active',
      assigneeId: manager.userId,
    });
    expect(tu.statusCode, tu.body).toBe(200);
    await created(await api(A, 'POST', `/tasks/${task.id}/comments`, { body: 'hello' }));
    expect((await api(A, 'DELETE', `/tasks/${task.id}`)).statusCode).toBe(204);
    const contract = await created(
      await api(A, 'POST', '/contracts', {
        clientId: client.id,
        name: 'Support',
        amountMinor: 50_000,
        billingInterval: 'month',
        startDate: '2099-01-01',
      }),
    );
    await api(A, 'PATCH', `/contracts/${contract.id}`, { name: 'Support+' });
    await api(A, 'DELETE', `/contracts/${contract.id}`);
    const invoice = await created(
      await api(A, 'POST', '/invoices', {
        clientId: client.id,
        number: 'INV-1',
        issuedOn: '2099-01-01',
        dueOn: '2099-01-31',
        amountMinor: 10_000,
      }),
    );
    await api(A, 'PATCH', `/invoices/${invoice.id}`, { amountMinor: 12_000 });
    await api(A, 'DELETE', `/invoices/${invoice.id}`);
    const deal = await created(await api(A, 'POST', '/deals', { title: 'Big' }));
    await api(A, 'PATCH', `/deals/${deal.id}`, { title: 'Bigger' });
    await api(A, 'DELETE', `/deals/${deal.id}`);
    const project2 = await created(await api(A, 'POST', '/projects', { name: 'P2' }));
    await api(A, 'DELETE', `/projects/${project2.id}`);
    await api(
      A,
      'DELETE',
      `/clients/${(await created(await api(A, 'POST', '/clients', { name: 'Gone' }))).id}`,
    );
    // Members: invited + joined (addMember), role changed, removed.
    const joiner = await addMember(t, A, 'viewer');
    const roles = (await api(A, 'GET', '/roles')).json().items as { id: string; key: string }[];
    const members = (await api(A, 'GET', '/members?limit=200')).json().items as {
      id: string;
      userId: string;
    }[];
    const membership = members.find((m) => m.userId === joiner.userId)!;
    const rc = await api(A, 'PATCH', `/members/${membership.id}`, {
      roleId: roles.find((r) => r.key === 'user')!.id,
    });
    expect(rc.statusCode, rc.body).toBe(200);
    expect((await api(A, 'DELETE', `/members/${membership.id}`)).statusCode).toBe(204);
    // Security: a failed login, then MFA turned on.
    const bad = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: manager.email, password: 'wrong-password-123' },
    });
    expect(bad.statusCode).toBe(401);
    const { secret } = (await api(A, 'POST', '/auth/mfa/setup')).json() as { secret: string };
    const code = generateSync({ secret, strategy: 'totp', epoch: Math.floor(Date.now() / 1000) });
    const en = await api(A, 'POST', '/auth/mfa/enable', { code });
    expect(en.statusCode, en.body).toBe(200);

    const rows = await eventsOf(A.orgId);
    const types = new Set(rows.map((r) => r.type));
    for (const wanted of [
      ...['client', 'project', 'task', 'milestone', 'contract', 'invoice', 'deal'].flatMap((r) => [
        `${r}.created`,
        `${r}.updated`,
        `${r}.deleted`,
      ]),
      'project.status_changed',
      'task.status_changed',
      'task.assigned',
      'comment.added',
      'member.invited',
      'member.joined',
      'member.removed',
      'role.changed',
      'security.login_failed',
      'security.mfa_changed',
    ])
      expect(types, wanted).toContain(wanted);
    for (const r of rows) {
      expect(isEventType(r.type), r.type).toBe(true);
      if (!isEventType(r.type)) continue;
      const schema = EVENT_CATALOGUE[r.type].payload;
      expect(Value.Check(schema, r.payload), `${r.type} ${JSON.stringify(r.payload)}`).toBe(true);
    }
    const moved = (await eventsOf(A.orgId, 'task.status_changed'))[0]!;
    expect(moved.payload).toEqual({ id: task.id, projectId: project.id, from: 'pending', to: 'active' });
    expect(moved.actor_type).toBe('user');
    expect(moved.actor_id).toBe(A.userId);
    const assigned = (await eventsOf(A.orgId, 'task.assigned'))[0]!;
    expect(assigned.payload).toMatchObject({
      id: task.id,
      assigneeId: manager.userId,
      previousAssigneeId: null,
    });
    // The failed login was the manager's; its event belongs to organization A and names the user.
    const failed = (await eventsOf(A.orgId, 'security.login_failed'))[0]!;
    expect(failed.payload).toEqual({ id: manager.userId, reason: 'wrong_password' });
    // Organization B saw none of it.
    expect((await eventsOf(other.orgId)).length).toBe(0);
  }, 60_000);

  it('a refused or rolled-back change emits nothing', async () => {
    const before = (await eventsOf(admin.orgId)).length;
    const bad = await api(admin, 'POST', '/tasks', { projectId: newId(), title: 'x' });
    expect(bad.statusCode).toBe(400);
    const audit = new AuditService(new Db(t.pool));
    await expect(
      t.pool.connect().then(async (c) => {
        c.release();
        await inTransaction(t.pool, { orgId: admin.orgId, userId: admin.userId }, async (tx) => {
          await audit.record(tx, {
            orgId: admin.orgId,
            actor: { type: 'user', id: admin.userId, label: null },
            action: 'deal.create',
            events: [{ type: 'deal.created', payload: { id: newId() } }],
          });
          expect((await tx.query('SELECT 1 FROM domain_events WHERE seq IS NULL')).rowCount).toBeGreaterThan(
            0,
          );
          throw new Error('the change fails after its events were written');
        });
      }),
    ).rejects.toThrow('the change fails');
    expect((await eventsOf(admin.orgId)).length).toBe(before);
  });
});

/** Emits `n` deal.created events for an organization, `perTx` per transaction. */
async function emitMany(orgId: string, n: number, perTx = 100): Promise<void> {
  for (let i = 0; i < n; i += perTx) {
    const events: EventInput[] = Array.from({ length: Math.min(perTx, n - i) }, () => ({
      type: 'deal.created',
      payload: { id: newId() },
    }));
    await inTransaction(t.pool, { orgId, userId: null }, (tx) =>
      emitEvents(tx, orgId, { type: 'system', id: null }, events),
    );
  }
}

function recorder(name: string, opts: { fail?: (seq: number) => boolean } = {}): EventHandler {
  return {
    name,
    events: ['*'],
    async handle(event, ctx) {
      if (opts.fail?.(event.seq)) throw new Error(`${name} refuses event ${event.seq}`);
      await ctx.tx.query(
        'INSERT INTO test_handled (org_id, handler, event_id, type, seq) VALUES ($1, $2, $3, $4, $5)',
        [ctx.orgId, name, event.id, event.type, event.seq],
      );
    },
  };
}

async function handled(handler: string, orgId: string) {
  const { rows } = await t.owner<{ event_id: string; seq: string }>(
    'SELECT event_id, seq FROM test_handled WHERE handler = $1 AND org_id = $2 ORDER BY n',
    [handler, orgId],
  );
  return rows.map((r) => ({ id: r.event_id, seq: Number(r.seq) }));
}

async function drain(d: EventDispatcher, orgId: string) {
  for (let i = 0; i < 100 && (await d.dispatchOrg(orgId)); i++);
}

describe('dispatch', () => {
  it('runs each handler once per event, in commit order, and absorbs a redelivery', async () => {
    const registry = new EventHandlerRegistry().register(recorder('once'));
    const d = new EventDispatcher({
      pool: t.pool,
      registry,
      log: quiet,
      maxAttempts: 3,
      retryBaseMs: 1,
      pollMs: 60_000,
    });
    // Concurrent writers of one organization: tasks created in parallel through the API.
    const project = await created(await api(admin, 'POST', '/projects', { name: 'Order' }));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api(admin, 'POST', '/tasks', { projectId: project.id, title: `t${i}` }),
      ),
    );
    await drain(d, admin.orgId);
    const all = await eventsOf(admin.orgId);
    const first = await handled('once', admin.orgId);
    expect(first.length).toBe(all.length);
    expect(new Set(first.map((e) => e.id)).size).toBe(all.length);
    // In seq order, 1..n without a gap.
    expect(first.map((e) => e.seq)).toEqual(first.map((_, i) => i + 1));
    // Redelivery: the cursor goes back to the start; the done marks absorb every event.
    await t.owner('UPDATE domain_event_cursors SET last_seq = 0 WHERE handler = $1', ['once']);
    await drain(d, admin.orgId);
    expect((await handled('once', admin.orgId)).length).toBe(all.length);
    // A change and its later change keep their order: a task's creation before its update.
    const task = await created(
      await api(admin, 'POST', '/tasks', { projectId: project.id, title: 'ordered' }),
    );
    await api(admin, 'PATCH', `/tasks/${task.id}`, { title: 'ordered 2' });
    await drain(d, admin.orgId);
    const mine = (
      await t.owner<{ type: string }>(
        `SELECT h.type FROM test_handled h JOIN domain_events e ON e.org_id = h.org_id AND e.id = h.event_id
       WHERE h.handler = 'once' AND e.payload->>'id' = $1 ORDER BY h.seq`,
        [task.id],
      )
    ).rows.map((r) => r.type);
    expect(mine).toEqual(['task.created', 'task.updated']);
  }, 60_000);

  it('wakes a listening dispatcher when an emitting transaction commits (no poll needed)', async () => {
    const registry = new EventHandlerRegistry().register(recorder('woken'));
    const d = new EventDispatcher({
      pool: t.pool,
      registry,
      log: quiet,
      maxAttempts: 3,
      retryBaseMs: 1,
      pollMs: 600_000,
    });
    await drain(d, admin.orgId); // the organization's earlier events
    await d.start(); // its first poll runs now; the next would be in ten minutes
    try {
      const before = (await handled('woken', admin.orgId)).length;
      const deal = await created(await api(admin, 'POST', '/deals', { title: 'Wake up' }));
      const deadline = Date.now() + 20_000;
      let mine: { id: string }[] = [];
      while (Date.now() < deadline) {
        mine = (await handled('woken', admin.orgId)).slice(before);
        if (mine.length > 0) break;
        await sleep(20);
      }
      const ids = (await eventsOf(admin.orgId, 'deal.created')).filter((e) => e.payload.id === deal.id);
      expect(mine.map((e) => e.id)).toEqual(ids.map((e) => e.id));
    } finally {
      await d.stop();
    }
  }, 30_000);

  it("runs what a handler asks for after commit only once its run has committed: an event it emits wakes the dispatcher, a failed run's asks are dropped", async () => {
    // The dispatcher hands each run a handle of its own (ctx.tx); onCommit on it once went
    // nowhere, so an event emitted by a handler waited for the next poll, and the notifier
    // installed the built-in rules again for every event.
    const asked: string[] = [];
    let refuseOnce = '';
    const relay: EventHandler = {
      name: 'relay',
      events: ['deal.created'],
      async handle(event, ctx) {
        onCommit(ctx.tx, () => asked.push(`${String(event.payload.id)}:${ctx.attempt}`));
        if (event.payload.id === refuseOnce && ctx.attempt === 1)
          throw new Error('relay refuses its first attempt');
        await emitEvents(ctx.tx, ctx.orgId, { type: 'system', id: null }, [
          { type: 'deal.updated', payload: { id: String(event.payload.id), fields: ['stage'] } },
        ]);
      },
    };
    const options = { pool: t.pool, log: quiet, maxAttempts: 3, retryBaseMs: 1 };
    const manual = new EventDispatcher({
      ...options,
      registry: new EventHandlerRegistry().register(relay),
      pollMs: 600_000,
    });
    await drain(manual, admin.orgId); // the organization's earlier events
    asked.length = 0;
    const refused = await created(await api(admin, 'POST', '/deals', { title: 'Refused once' }));
    refuseOnce = String(refused.id);
    await manual.dispatchOrg(admin.orgId); // attempt 1 fails (fast path, then event by event)
    expect(asked).toEqual([]);
    await sleep(10); // the retry's backoff (1 ms × jitter)
    await drain(manual, admin.orgId);
    expect(asked).toEqual([`${refused.id}:2`]);

    // Started, with a poll ten minutes away: the relay's deal.updated is dispatched because its
    // commit wakes the dispatcher.
    const started = new EventDispatcher({
      ...options,
      registry: new EventHandlerRegistry().register(relay).register(recorder('after-relay')),
      pollMs: 600_000,
    });
    await drain(started, admin.orgId);
    await started.start();
    try {
      const before = (await handled('after-relay', admin.orgId)).length;
      const deal = await created(await api(admin, 'POST', '/deals', { title: 'Relayed' }));
      const deadline = Date.now() + 20_000;
      let types: string[] = [];
      while (Date.now() < deadline) {
        const ids = (await handled('after-relay', admin.orgId)).slice(before).map((e) => e.id);
        const events = (await eventsOf(admin.orgId)).filter((e) => ids.includes(e.id));
        types = events.filter((e) => e.payload.id === deal.id).map((e) => e.type);
        if (types.length === 2) break;
        await sleep(20);
      }
      expect(types.sort()).toEqual(['deal.created', 'deal.updated']);
      expect(asked).toContain(`${deal.id}:1`);
    } finally {
      await started.stop();
    }
  }, 60_000);

  it('retries a throwing handler, parks the event after its attempts, never blocks the others; admins see and retry it', async () => {
    let broken = true;
    const registry = new EventHandlerRegistry().register(
      recorder('steady'),
      recorder('flaky', { fail: (seq) => broken && seq === failSeq }),
    );
    const d = new EventDispatcher({
      pool: t.pool,
      registry,
      log: quiet,
      maxAttempts: 3,
      retryBaseMs: 1,
      pollMs: 60_000,
    });
    await drain(d, other.orgId); // B has no events yet
    await emitMany(other.orgId, 5, 5);
    const failSeq = 3;
    // First round: flaky handles 1, 2 and fails on 3 (attempt 1); steady handles all five.
    await d.dispatchOrg(other.orgId);
    expect((await handled('steady', other.orgId)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await handled('flaky', other.orgId)).map((e) => e.seq)).toEqual([1, 2]);
    // Its later events wait for the retries (order kept), then it is parked and flaky goes on.
    for (let i = 0; i < 10; i++) {
      await sleep(5);
      await d.dispatchOrg(other.orgId);
    }
    expect((await handled('flaky', other.orgId)).map((e) => e.seq)).toEqual([1, 2, 4, 5]);
    const { rows } = await t.owner<{ status: string; attempts: number; last_error: string }>(
      `SELECT status, attempts, last_error FROM domain_event_deliveries WHERE org_id = $1 AND handler = 'flaky' AND status <> 'done'`,
      [other.orgId],
    );
    expect(rows).toEqual([{ status: 'failed', attempts: 3, last_error: 'Error: flaky refuses event 3' }]);

    // The dead letter: B's admin sees it; A's admin sees none of B's; a manager may not look.
    const list = await api(other, 'GET', '/events/failures');
    expect(list.statusCode, list.body).toBe(200);
    const items = list.json().items as {
      id: string;
      handler: string;
      event: { seq: number; type: string };
    }[];
    expect(items.map((f) => [f.handler, f.event.seq, f.event.type])).toEqual([['flaky', 3, 'deal.created']]);
    expect((await api(admin, 'GET', '/events/failures')).json().items).toEqual([]);
    expectProblem(await api(manager, 'GET', '/events/failures'), 403, 'forbidden');
    expectProblem(await api(manager, 'POST', `/events/failures/${items[0]!.id}/retry`), 403, 'forbidden');
    expectProblem(await api(admin, 'POST', `/events/failures/${items[0]!.id}/retry`), 404, 'not-found');
    expectProblem(await api(other, 'POST', '/events/failures/not-a-uuid/retry'), 400, 'validation-failed');

    // Retry once fixed: one more run, done, gone from the list, audited.
    broken = false;
    const retry = await api(other, 'POST', `/events/failures/${items[0]!.id}/retry`);
    expect(retry.statusCode, retry.body).toBe(202);
    expect(retry.json().status).toBe('retry_requested');
    await d.dispatchOrg(other.orgId);
    expect((await handled('flaky', other.orgId)).map((e) => e.seq)).toEqual([1, 2, 4, 5, 3]);
    expect((await api(other, 'GET', '/events/failures')).json().items).toEqual([]);
    const trail = await api(other, 'GET', '/audit/search?action=events.failure_retry');
    expect(trail.json().items.length).toBe(1);
  }, 60_000);

  it('a handler that hangs or breaks its own transaction is retried and parked; the others go on', async () => {
    const org = (await orgWithoutEvents('Events D')).orgId;
    await emitMany(org, 3, 3);
    const registry = new EventHandlerRegistry().register(
      recorder('fine'),
      {
        name: 'hangs',
        events: ['*'],
        handle: (event) => (event.seq === 1 ? new Promise<void>(() => {}) : Promise.resolve()),
      },
      {
        name: 'breaks',
        events: ['*'],
        async handle(event, ctx) {
          if (event.seq === 2) await ctx.tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
        },
      },
    );
    const d = new EventDispatcher({
      pool: t.pool,
      registry,
      log: quiet,
      maxAttempts: 2,
      retryBaseMs: 1,
      pollMs: 60_000,
      handlerTimeoutMs: 100,
    });
    for (let i = 0; i < 6; i++) {
      await d.dispatchOrg(org);
      await sleep(5);
    }
    expect((await handled('fine', org)).map((e) => e.seq)).toEqual([1, 2, 3]);
    const { rows } = await t.owner<{ handler: string; seq: number; status: string; attempts: number }>(
      `SELECT d.handler, e.seq::int AS seq, d.status, d.attempts FROM domain_event_deliveries d
       JOIN domain_events e ON e.org_id = d.org_id AND e.id = d.event_id
       WHERE d.org_id = $1 AND d.status <> 'done' ORDER BY d.handler`,
      [org],
    );
    expect(rows).toEqual([
      { handler: 'breaks', seq: 2, status: 'failed', attempts: 2 },
      { handler: 'hangs', seq: 1, status: 'failed', attempts: 2 },
    ]);
    // Both went on past the event they were parked on.
    const cursors = await t.owner<{ handler: string; last_seq: number }>(
      'SELECT handler, last_seq::int AS last_seq FROM domain_event_cursors WHERE org_id = $1 ORDER BY handler',
      [org],
    );
    expect(cursors.rows).toEqual([
      { handler: 'breaks', last_seq: 3 },
      { handler: 'fine', last_seq: 3 },
      { handler: 'hangs', last_seq: 3 },
    ]);
  }, 60_000);

  it('a worker killed with SIGKILL in the middle of 1,000 events finishes them after a restart, each effect once', async () => {
    const org = (await orgWithoutEvents('Events C')).orgId;
    await emitMany(org, 1000);
    const worker = () =>
      spawn(process.execPath, [path.join(ROOT, 'test/support/event-worker.ts')], {
        env: { ...process.env, EVENT_WORKER_DB: t.appUrl, EVENT_WORKER_DELAY_MS: '2' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
    const count = async () =>
      Number(
        (await t.owner<{ n: string }>(`SELECT count(*) AS n FROM test_handled WHERE org_id = $1`, [org]))
          .rows[0]!.n,
      );
    const first = worker();
    const deadline = Date.now() + 60_000;
    while ((await count()) < 100 && Date.now() < deadline) await sleep(20);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await count();
    expect(atKill).toBeGreaterThanOrEqual(100);
    expect(atKill).toBeLessThan(2000); // two handlers × 1,000: it was killed in the middle
    const second = worker();
    try {
      while ((await count()) < 2000 && Date.now() < deadline + 60_000) await sleep(50);
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    const { rows } = await t.owner<{ handler: string; events: number; rows: number }>(
      `SELECT handler, count(DISTINCT event_id)::int AS events, count(*)::int AS rows FROM test_handled
       WHERE org_id = $1 GROUP BY handler ORDER BY handler`,
      [org],
    );
    expect(rows).toEqual([
      { handler: 'kill.a', events: 1000, rows: 1000 },
      { handler: 'kill.b', events: 1000, rows: 1000 },
    ]);
    const done = await t.owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM domain_event_deliveries WHERE org_id = $1 AND status = 'done'`,
      [org],
    );
    expect(done.rows[0]!.n).toBe(2000);
    // The restarted worker found work left (the kill landed mid-way) and redid no committed effect.
    expect(atKill).toBeLessThan(2000);
  }, 180_000);
});
