// Analytics (issue 3, items 8 and 9): the dashboard, project performance, executive metrics and
// trends, each figure checked against fixtures computed by hand — month boundaries, the
// organization's time zone (America/Sao_Paulo is UTC−3, no daylight saving since 2019), yearly and
// ended contracts, churn, conversion, satisfaction — plus permissions and cross-org isolation.
// Fixtures are written on the owner connection (bypassing RLS and the services), with timestamps
// far from the real clock; `asOf` pins "now".
import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/platform/db/ids.ts';
import { addMember, createTestApp, login, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

// ---- helpers ---------------------------------------------------------------------------------

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body.type).toBe(`urn:bul:error:${code}`);
  return body;
}

function expectFieldError(res: LightMyRequestResponse, field: string) {
  const body = expectProblem(res, 400, 'validation-failed');
  const err = (body.errors as { field: string; rule: string }[]).find((e) => e.field === field);
  expect(err, res.body).toBeDefined();
  expect(err?.rule).toBeTruthy();
  return body;
}

const get = (s: Session, url: string) =>
  t.request({ method: 'GET', url: `/api/v1${url}`, headers: s.headers });

async function ok(s: Session, url: string) {
  const res = await get(s, url);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function setTimezone(s: Session, timezone: string) {
  const res = await t.request({
    method: 'PATCH',
    url: '/api/v1/organization',
    headers: s.headers,
    payload: { timezone },
  });
  expect(res.statusCode, res.body).toBe(200);
}

/** Inserts one row as the owner; returns its id (generated unless given). */
async function ins(table: string, row: Record<string, unknown>): Promise<string> {
  const r = { id: newId(), ...row };
  const cols = Object.keys(r);
  await t.owner(
    `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
    Object.values(r),
  );
  return r.id as string;
}

/** A client with its status history: [from, to, at] moves, the last one giving its status. */
async function clientWithHistory(orgId: string, moves: [string | null, string, string][]): Promise<string> {
  const last = moves[moves.length - 1]!;
  const id = await ins('clients', { org_id: orgId, name: `client ${newId().slice(-6)}`, status: last[1] });
  for (const [from, to, at] of moves) {
    await ins('client_status_changes', {
      org_id: orgId,
      client_id: id,
      from_status: from,
      to_status: to,
      changed_at: at,
    });
  }
  return id;
}

async function payment(orgId: string, clientId: string, paidOn: string, amount: number, currency = 'USD') {
  const invoice = await ins('invoices', {
    org_id: orgId,
    client_id: clientId,
    number: `INV-${newId()}`,
    issued_on: '2024-01-01',
    due_on: '2024-01-31',
    amount_minor: amount,
    currency,
  });
  await ins('payments', {
    org_id: orgId,
    invoice_id: invoice,
    paid_on: paidOn,
    amount_minor: amount,
    currency,
  });
}

async function contract(
  orgId: string,
  clientId: string,
  amount: number,
  interval: 'month' | 'year',
  start: string,
  end: string | null = null,
) {
  await ins('contracts', {
    org_id: orgId,
    client_id: clientId,
    name: 'contract',
    amount_minor: amount,
    currency: 'USD',
    billing_interval: interval,
    start_date: start,
    end_date: end,
  });
}

/** A project created (and last changed) long before the fixtures' asOf, unless `f` says otherwise. */
async function project(orgId: string, f: Record<string, unknown>): Promise<string> {
  const at = '2024-01-01T00:00:00Z';
  return ins('projects', {
    org_id: orgId,
    name: `project ${newId().slice(-6)}`,
    currency: 'USD',
    created_at: at,
    updated_at: at,
    ...f,
  });
}

async function task(orgId: string, projectId: string, f: Record<string, unknown>): Promise<string> {
  return ins('tasks', { org_id: orgId, project_id: projectId, title: `task ${newId().slice(-6)}`, ...f });
}

async function done(orgId: string, projectId: string, completedAt: string, f: Record<string, unknown> = {}) {
  return task(orgId, projectId, { status: 'completed', completed_at: completedAt, ...f });
}

/** An audit event at a chosen instant (the chain trigger stamps now(); the owner moves it). */
async function event(
  orgId: string,
  actorId: string | null,
  at: string,
  opts: {
    type?: string;
    outcome?: string;
    action?: string;
    resource?: [string, string];
    changes?: Record<string, unknown>;
  } = {},
) {
  const id = newId();
  await t.owner(
    `INSERT INTO audit_events (org_id, id, seq, created_at, actor_type, actor_id, action, outcome, resource_type,
       resource_id, changes, prev_hash, hash)
     VALUES ($1, $2, 0, now(), $3, $4, $5, $6, $7, $8, $9, '', '')`,
    [
      orgId,
      id,
      opts.type ?? 'user',
      actorId,
      opts.action ?? 'test.event',
      opts.outcome ?? 'success',
      opts.resource?.[0] ?? null,
      opts.resource?.[1] ?? null,
      opts.changes ? JSON.stringify(opts.changes) : null,
    ],
  );
  await t.owner('UPDATE audit_events SET created_at = $1 WHERE org_id = $2 AND id = $3', [at, orgId, id]);
}

async function feedback(orgId: string, clientId: string, score: number, receivedOn: string) {
  await ins('feedback', { org_id: orgId, client_id: clientId, score, received_on: receivedOn });
}

async function deal(orgId: string, stage: string, closedAt: string | null) {
  await ins('deals', { org_id: orgId, title: 'deal', currency: 'USD', stage, closed_at: closedAt });
}

// 2025-02-28 23:30 in São Paulo; already 2025-03-01 in UTC.
const AS_OF = '2025-03-01T02:30:00.000Z';
const SP = 'America/Sao_Paulo';

// ---- executive metrics and trends --------------------------------------------------------------

describe('executive metrics and trends', () => {
  let a: Session; // org_admin of A
  let b: Session; // org_admin of B
  let analystA: Session;
  let superAdmin: Session;

  beforeAll(async () => {
    a = await signUp(t, { orgName: 'Org A' });
    b = await signUp(t, { orgName: 'Org B' });
    analystA = await addMember(t, a, 'analyst');
    const sa = await signUp(t, { orgName: 'Platform' });
    await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [sa.userId]);
    superAdmin = await login(t, sa.email);

    const A = a.orgId;
    // Clients and their status history (see the churn and new-client expectations below).
    const k1 = await clientWithHistory(A, [
      [null, 'lead', '2024-12-01T12:00:00Z'],
      ['lead', 'active', '2025-01-10T12:00:00Z'],
      ['active', 'churned', '2025-02-15T12:00:00Z'],
    ]);
    await clientWithHistory(A, [
      [null, 'active', '2024-11-01T12:00:00Z'],
      ['active', 'churned', '2025-03-05T12:00:00Z'], // after asOf
    ]);
    await clientWithHistory(A, [
      [null, 'lead', '2025-01-20T12:00:00Z'],
      ['lead', 'active', '2025-02-05T12:00:00Z'],
    ]);
    await clientWithHistory(A, [
      [null, 'active', '2024-10-01T12:00:00Z'],
      ['active', 'churned', '2024-12-01T12:00:00Z'],
      ['churned', 'active', '2025-02-10T12:00:00Z'], // reactivated: not new
    ]);
    await clientWithHistory(A, [
      [null, 'lead', '2025-01-01T12:00:00Z'],
      ['lead', 'active', '2025-02-01T02:00:00Z'], // 2025-01-31 23:00 in São Paulo
      ['active', 'churned', '2025-03-01T02:00:00Z'], // 2025-02-28 23:00 in São Paulo, before asOf
    ]);
    await clientWithHistory(A, [
      [null, 'lead', '2025-01-05T12:00:00Z'],
      ['lead', 'active', '2025-03-01T01:00:00Z'], // 2025-02-28 22:00 in São Paulo
    ]);
    await clientWithHistory(A, [
      [null, 'lead', '2025-01-01T12:00:00Z'],
      ['lead', 'churned', '2025-02-20T12:00:00Z'], // a lost lead is no churn
    ]);

    // Payments.
    await payment(A, k1, '2025-02-28', 10_000);
    await payment(A, k1, '2025-02-10', 5_000);
    await payment(A, k1, '2025-01-15', 20_000);
    await payment(A, k1, '2025-03-01', 7_000);
    await payment(A, k1, '2024-12-31', 99_999);
    await payment(A, k1, '2025-02-20', 3_000, 'EUR');

    // Contracts.
    await contract(A, k1, 10_000, 'month', '2025-01-01');
    await contract(A, k1, 120_000, 'year', '2024-06-01', '2025-12-31');
    await contract(A, k1, 1_000, 'year', '2025-01-01');
    await contract(A, k1, 5_000, 'month', '2025-01-01', '2025-02-27'); // ended
    await contract(A, k1, 4_000, 'month', '2025-03-01'); // starts on the UTC day only
    await contract(A, k1, 2_500, 'month', '2025-02-01', '2025-02-28'); // ends on the São Paulo day

    // Projects as of asOf: average budget (100000 + 50000 + 30002 + 30000) / 4 = 52500.5 → 52501.
    await project(A, { status: 'active', budget_minor: 100_000 });
    await project(A, { status: 'completed', budget_minor: 50_000, completed_at: '2025-01-01T00:00:00Z' });
    await project(A, { status: 'planning', budget_minor: 30_002 });
    await project(A, { status: 'cancelled', budget_minor: 999_999 });
    await project(A, { status: 'on_hold' });
    // Created after asOf: not counted at all.
    await project(A, { status: 'active', budget_minor: 7_000_000, created_at: '2025-03-02T00:00:00Z' });
    // Cancelled after asOf; active at asOf, as its last status change before asOf says.
    const laterCancelled = await project(A, {
      status: 'cancelled',
      budget_minor: 30_000,
      updated_at: '2025-03-10T00:00:00Z',
    });
    for (const [at, before, after] of [
      ['2024-01-01T00:00:00Z', null, 'planning'],
      ['2025-02-01T00:00:00Z', 'planning', 'active'],
      ['2025-03-10T00:00:00Z', 'active', 'cancelled'],
    ] as const) {
      await event(A, null, at, {
        action: before ? 'project.status_change' : 'project.create',
        resource: ['project', laterCancelled],
        changes: { status: { before, after } },
      });
    }

    // Activity.
    const [u1, u2, u3, u4, u5] = [newId(), newId(), newId(), newId(), newId()];
    await event(A, u1, '2025-02-20T12:00:00Z');
    await event(A, u1, '2025-02-25T12:00:00Z');
    await event(A, u1, '2025-02-28T01:00:00Z'); // 2025-02-27 in São Paulo
    await event(A, u2, '2025-01-30T04:00:00Z'); // inside the São Paulo window only
    await event(A, u3, '2025-01-30T02:30:00Z'); // 2025-01-29 23:30 in São Paulo: outside both
    await event(A, u4, '2025-02-20T12:00:00Z', { outcome: 'failure' });
    await event(A, newId(), '2025-02-20T12:00:00Z', { type: 'api_key' });
    await event(A, u5, '2025-03-01T03:00:00Z'); // after asOf

    // Feedback.
    await feedback(A, k1, 5, '2025-02-01');
    await feedback(A, k1, 4, '2025-01-15');
    await feedback(A, k1, 4, '2024-12-01'); // inside the São Paulo 90 days only
    await feedback(A, k1, 2, '2024-11-30');
    await feedback(A, k1, 3, '2025-03-01'); // the UTC day only

    // Deals.
    await deal(A, 'won', '2025-02-10T12:00:00Z');
    await deal(A, 'won', '2025-01-05T12:00:00Z');
    await deal(A, 'lost', '2025-02-20T12:00:00Z');
    await deal(A, 'lost', '2024-12-01T12:00:00Z'); // inside the São Paulo 90 days only
    await deal(A, 'won', '2024-11-01T12:00:00Z');
    await deal(A, 'won', '2025-03-01T05:00:00Z'); // after asOf
    await deal(A, 'proposal', null);

    // Org B: large figures in the same windows; none may reach A's numbers.
    const B = b.orgId;
    const kb = await clientWithHistory(B, [[null, 'active', '2025-02-10T12:00:00Z']]);
    await payment(B, kb, '2025-03-01', 1_000_000);
    await payment(B, kb, '2025-02-27', 500_000);
    await contract(B, kb, 50_000, 'month', '2025-01-01');
    await project(B, { status: 'active', budget_minor: 10 });
    await feedback(B, kb, 1, '2025-02-27');
    await deal(B, 'won', '2025-02-27T12:00:00Z');
    await event(B, newId(), '2025-02-27T12:00:00Z');
  });

  it('computes every metric in the organization time zone (São Paulo: still February)', async () => {
    await setTimezone(a, SP);
    const m = await ok(a, `/executive/metrics?asOf=${AS_OF}`);
    expect(m).toMatchObject({
      scope: 'org',
      asOf: AS_OF,
      timezone: SP,
      day: '2025-02-28',
      monthStart: '2025-02-01',
      lastMonthStart: '2025-01-01',
      organizations: 1,
    });
    expect(m.money).toEqual([
      {
        currency: 'USD',
        revenueThisMonthMinor: 15_000, // 10000 (Feb 28) + 5000 (Feb 10); March 1 not yet
        revenueLastMonthMinor: 20_000,
        revenueLastMonthToDateMinor: 20_000, // Jan 1–28: the Jan 15 payment
        revenueGrowthPct: -25,
        mrrMinor: 22_583, // 10000 + 120000/12 + round(1000/12 = 83.33) + 2500
        averageProjectBudgetMinor: 52_501,
      },
      {
        currency: 'EUR',
        revenueThisMonthMinor: 3_000,
        revenueLastMonthMinor: 0,
        revenueLastMonthToDateMinor: 0,
        revenueGrowthPct: null, // last month 0
        mrrMinor: 0,
        averageProjectBudgetMinor: null,
      },
    ]);
    expect(m.projects).toEqual({
      total: 6,
      byStatus: { planning: 1, active: 2, on_hold: 1, completed: 1, cancelled: 1 },
    });
    expect(m.activeUsers).toBe(2);
    expect(m.newClients).toBe(2); // K3 (Feb 5) and K6 (Feb 28 22:00 local)
    expect(m.churn).toEqual({ activeAtMonthStart: 3, churned: 2, ratePct: 66.67 });
    expect(m.satisfaction).toEqual({ average: 4.33, responses: 3 });
    expect(m.conversion).toEqual({ won: 2, lost: 2, ratePct: 50 });
  });

  it('moves the month and the day boundaries with the time zone (UTC: already March)', async () => {
    await setTimezone(a, 'UTC');
    try {
      const m = await ok(a, `/executive/metrics?asOf=${AS_OF}`);
      expect(m).toMatchObject({ timezone: 'UTC', day: '2025-03-01', monthStart: '2025-03-01' });
      expect(m.money).toEqual([
        {
          currency: 'USD',
          revenueThisMonthMinor: 7_000,
          revenueLastMonthMinor: 15_000,
          // March 1 against February 1 (nothing), not against the whole of February (−53.33 %).
          revenueLastMonthToDateMinor: 0,
          revenueGrowthPct: null,
          mrrMinor: 24_083, // 10000 + 10000 + 83 + 4000 (starts Mar 1); 2500 ended Feb 28
          averageProjectBudgetMinor: 52_501,
        },
        {
          currency: 'EUR',
          revenueThisMonthMinor: 0,
          revenueLastMonthMinor: 3_000,
          revenueLastMonthToDateMinor: 0,
          revenueGrowthPct: null,
          mrrMinor: 0,
          averageProjectBudgetMinor: null,
        },
      ]);
      expect(m.activeUsers).toBe(1);
      expect(m.newClients).toBe(1);
      expect(m.churn).toEqual({ activeAtMonthStart: 4, churned: 1, ratePct: 25 });
      expect(m.satisfaction).toEqual({ average: 4, responses: 3 });
      expect(m.conversion).toEqual({ won: 2, lost: 1, ratePct: 66.67 });
    } finally {
      await setTimezone(a, SP);
    }
  });

  it('keeps each organization to its own data', async () => {
    const m = await ok(b, `/executive/metrics?asOf=${AS_OF}`);
    expect(m.timezone).toBe('UTC');
    expect(m.money).toEqual([
      {
        currency: 'USD',
        revenueThisMonthMinor: 1_000_000,
        revenueLastMonthMinor: 500_000,
        revenueLastMonthToDateMinor: 0, // Feb 1 only
        revenueGrowthPct: null,
        mrrMinor: 50_000,
        averageProjectBudgetMinor: 10,
      },
    ]);
    expect(m.projects.total).toBe(1);
    expect(m.activeUsers).toBe(1);
    expect(m.newClients).toBe(0);
    expect(m.churn).toEqual({ activeAtMonthStart: 1, churned: 0, ratePct: 0 });
    expect(m.satisfaction).toEqual({ average: 1, responses: 1 });
    expect(m.conversion).toEqual({ won: 1, lost: 0, ratePct: 100 });
  });

  it('lists the book currency with zeros and nulls when there is no data', async () => {
    const m = await ok(superAdmin, '/executive/metrics');
    expect(m.money).toEqual([
      {
        currency: 'USD',
        revenueThisMonthMinor: 0,
        revenueLastMonthMinor: 0,
        revenueLastMonthToDateMinor: 0,
        revenueGrowthPct: null,
        mrrMinor: 0,
        averageProjectBudgetMinor: null,
      },
    ]);
    expect(m.churn.ratePct).toBeNull();
    expect(m.satisfaction).toEqual({ average: null, responses: 0 });
    expect(m.conversion.ratePct).toBeNull();
    expect(m.projects.byStatus).toEqual({ planning: 0, active: 0, on_hold: 0, completed: 0, cancelled: 0 });
    expect(Date.parse(m.asOf)).toBeGreaterThan(Date.now() - 60_000); // default asOf: now
  });

  it('adds up every organization in UTC for the global scope (super admins only)', async () => {
    const m = await ok(superAdmin, `/executive/metrics?scope=global&asOf=${AS_OF}`);
    expect(m).toMatchObject({ scope: 'global', timezone: 'UTC', day: '2025-03-01', organizations: 3 });
    expect(m.money).toEqual([
      {
        currency: 'EUR',
        revenueThisMonthMinor: 0,
        revenueLastMonthMinor: 3_000,
        revenueLastMonthToDateMinor: 0,
        revenueGrowthPct: null,
        mrrMinor: 0,
        averageProjectBudgetMinor: null,
      },
      {
        currency: 'USD',
        revenueThisMonthMinor: 1_007_000, // A 7000 + B 1000000
        revenueLastMonthMinor: 515_000, // A 15000 + B 500000
        revenueLastMonthToDateMinor: 0, // nobody was paid on Feb 1
        revenueGrowthPct: null,
        mrrMinor: 74_083, // A 24083 + B 50000
        averageProjectBudgetMinor: 42_002, // (100000 + 50000 + 30002 + 30000 + 10) / 5 = 42002.4
      },
    ]);
    expect(m.projects).toEqual({
      total: 7,
      byStatus: { planning: 1, active: 3, on_hold: 1, completed: 1, cancelled: 1 },
    });
    expect(m.activeUsers).toBe(2);
    expect(m.newClients).toBe(1);
    expect(m.churn).toEqual({ activeAtMonthStart: 5, churned: 1, ratePct: 20 });
    expect(m.satisfaction).toEqual({ average: 3.25, responses: 4 });
    expect(m.conversion).toEqual({ won: 3, lost: 1, ratePct: 75 });

    const trend = await ok(superAdmin, `/executive/trends?scope=global&metric=revenue&days=2&asOf=${AS_OF}`);
    expect(trend.timezone).toBe('UTC');
    expect(trend.series).toEqual([
      // No EUR payment in these two days: only the book currency.
      {
        currency: 'USD',
        points: [
          { date: '2025-02-28', value: 10_000 },
          { date: '2025-03-01', value: 1_007_000 },
        ],
      },
    ]);
  });

  it('refuses the global scope without platform:admin, and other roles the executive routes', async () => {
    for (const url of ['/executive/metrics?scope=global', '/executive/trends?scope=global&metric=mrr']) {
      const body = expectProblem(await get(a, url), 403, 'forbidden');
      expect(body.permission).toBe('platform:admin');
    }
    for (const url of ['/executive/metrics', '/executive/trends?metric=mrr']) {
      const body = expectProblem(await get(analystA, url), 403, 'forbidden');
      expect(body.permission).toBe('executive:read');
    }
    expectProblem(
      await t.request({ method: 'GET', url: '/api/v1/executive/metrics' }),
      401,
      'unauthenticated',
    );
  });

  it('the SQL functions check the caller themselves', async () => {
    const client = await t.pool.connect();
    try {
      const run = async (org: string, user: string, target: string | null) => {
        await client.query('BEGIN');
        try {
          await client.query(
            `SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)`,
            [org, user],
          );
          return await client.query('SELECT bul_executive_metrics($1, now()) AS m', [target]);
        } finally {
          await client.query('ROLLBACK');
        }
      };
      await expect(run(b.orgId, b.userId, a.orgId)).rejects.toMatchObject({ code: '42501' });
      await expect(run(a.orgId, a.userId, null)).rejects.toMatchObject({ code: '42501' });
      const own = await run(a.orgId, a.userId, a.orgId);
      expect(own.rows[0].m.timezone).toBe(SP);
      const global = await run(superAdmin.orgId, superAdmin.userId, null);
      expect(global.rows[0].m.organizations).toBe(3);
    } finally {
      client.release();
    }
  });

  it('gives daily trends ending with the local day, every day present', async () => {
    const trend = (q: string) => ok(a, `/executive/trends?asOf=${AS_OF}&${q}`);

    const revenue = await trend('metric=revenue&days=10');
    expect(revenue).toMatchObject({
      metric: 'revenue',
      scope: 'org',
      timezone: SP,
      unit: 'minor',
      from: '2025-02-19',
      to: '2025-02-28',
    });
    expect(revenue.series.map((s: { currency: string }) => s.currency)).toEqual(['USD', 'EUR']);
    expect(revenue.series[0].points.map((p: { value: number }) => p.value)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 10_000,
    ]);
    expect(revenue.series[1].points.map((p: { value: number }) => p.value)).toEqual([
      0, 3_000, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);

    const mrr = await trend('metric=mrr&days=3');
    expect(mrr.series).toEqual([
      {
        currency: 'USD',
        points: [
          { date: '2025-02-26', value: 27_583 },
          { date: '2025-02-27', value: 27_583 },
          { date: '2025-02-28', value: 22_583 }, // the 5000 contract ended on the 27th
        ],
      },
    ]);

    const values = async (q: string) => {
      const r = await trend(q);
      expect(r.series).toHaveLength(1);
      expect(r.series[0].currency).toBeNull();
      return r.series[0].points as { date: string; value: number | null }[];
    };
    const nonZero = (points: { date: string; value: number | null }[]) =>
      Object.fromEntries(
        points.filter((p) => p.value !== 0 && p.value !== null).map((p) => [p.date, p.value]),
      );

    const newClients = await values('metric=new_clients&days=28');
    expect(newClients).toHaveLength(28);
    expect(newClients[0]!.date).toBe('2025-02-01');
    expect(nonZero(newClients)).toEqual({ '2025-02-05': 1, '2025-02-28': 1 });

    expect(nonZero(await values('metric=churned_clients&days=28'))).toEqual({
      '2025-02-15': 1,
      '2025-02-28': 1,
    });
    expect(await values('metric=active_users&days=3')).toEqual([
      { date: '2025-02-26', value: 0 },
      { date: '2025-02-27', value: 1 },
      { date: '2025-02-28', value: 0 },
    ]);
    const satisfaction = await values('metric=satisfaction&days=31');
    expect(satisfaction).toHaveLength(31);
    expect(nonZero(satisfaction)).toEqual({ '2025-02-01': 5 });
    expect(satisfaction.filter((p) => p.value === null)).toHaveLength(30);

    const projects = await values('metric=projects_created');
    expect(projects).toHaveLength(30); // default days
    expect(projects.every((p) => p.value === 0)).toBe(true);
  });

  it('names the bad query parameter', async () => {
    expectFieldError(await get(a, '/executive/trends?metric=profit'), 'metric');
    expectFieldError(await get(a, '/executive/trends'), 'metric');
    expectFieldError(await get(a, '/executive/trends?metric=mrr&days=0'), 'days');
    expectFieldError(await get(a, '/executive/trends?metric=mrr&days=367'), 'days');
    // asOf outside 1970–9999 would make day labels like "0001-01-01 BC".
    expectFieldError(await get(a, '/executive/metrics?asOf=0000-01-01T00:00:00Z'), 'asOf');
    expectFieldError(await get(a, '/analytics/dashboard?asOf=1969-12-31T23:00:00Z'), 'asOf');
    expectFieldError(await get(a, '/executive/metrics?scope=world'), 'scope');
    expectFieldError(await get(a, '/executive/metrics?asOf=yesterday'), 'asOf');
  });
});

// ---- dashboard and project performance ---------------------------------------------------------

describe('dashboard and project performance', () => {
  // Wednesday 2025-06-18, 09:00 in São Paulo.
  const NOW = '2025-06-18T12:00:00.000Z';
  let c: Session;
  let analyst: Session;
  let viewer: Session;
  let other: Session;
  const p = { a: '', b: '', c: '', d: '', e: '', f: '' };
  let overdueOldest = '';
  let clientId = '';

  beforeAll(async () => {
    c = await signUp(t, { orgName: 'Org C', name: 'Ada Admin' });
    analyst = await addMember(t, c, 'analyst');
    viewer = await addMember(t, c, 'viewer');
    other = await signUp(t, { orgName: 'Org D' });
    await setTimezone(c, SP);
    const C = c.orgId;
    clientId = await clientWithHistory(C, [[null, 'active', '2025-01-01T00:00:00Z']]);

    // Completed on 2025-06-10 23:00 local (06-11 in UTC): on time only in the organization's zone.
    p.a = await project(C, {
      status: 'completed',
      due_date: '2025-06-10',
      completed_at: '2025-06-11T02:00:00Z',
      budget_minor: 100_000,
      client_id: clientId,
    });
    p.b = await project(C, { status: 'active', due_date: '2025-06-01', budget_minor: 10_000 });
    p.c = await project(C, { status: 'planning', due_date: '2025-07-01' });
    p.d = await project(C, {
      status: 'completed',
      due_date: '2025-06-01',
      completed_at: '2025-06-02T12:00:00Z',
    });
    p.e = await project(C, { status: 'cancelled', due_date: '2025-05-01' });
    p.f = await project(C, { status: 'active', progress_override: 42 });

    for (const [projectId, amount, currency] of [
      [p.a, 30_000, 'USD'],
      [p.a, 20_000, 'USD'],
      [p.a, 999, 'EUR'], // another currency: not added to a USD budget
      [p.b, 12_500, 'USD'],
    ] as const) {
      await ins('project_expenses', {
        org_id: C,
        project_id: projectId,
        spent_on: '2025-06-01',
        amount_minor: amount,
        currency,
        category: 'travel',
      });
    }

    // Project A's tasks: completed 06-05 (due 06-05: on time), 06-07 (due 06-06: late), 06-08 (no due).
    await done(C, p.a, '2025-06-05T12:00:00Z', { due_date: '2025-06-05' });
    await done(C, p.a, '2025-06-07T12:00:00Z', { due_date: '2025-06-06' });
    await done(C, p.a, '2025-06-08T12:00:00Z');

    // Project B's tasks.
    // Both assigned to the analyst; the analyst completed the first, Ada the second.
    const ana = { assignee_id: analyst.userId };
    await done(C, p.b, '2025-06-16T02:00:00Z', {
      due_date: '2025-06-15',
      ...ana,
      completed_by: analyst.userId,
    }); // Sun 06-15 local: on time
    await done(C, p.b, '2025-06-16T04:00:00Z', { due_date: '2025-06-15', ...ana, completed_by: c.userId }); // Mon 06-16 local: late
    await done(C, p.b, '2025-06-18T13:00:00Z'); // after asOf
    await done(C, p.b, '2025-03-31T03:30:00Z', { due_date: '2025-04-01' }); // Mon 03-31 00:30 local
    await done(C, p.b, '2025-03-31T02:30:00Z'); // Sun 03-30 23:30 local: before the 12 weeks
    await task(C, p.b, { status: 'pending', due_date: '2025-06-17' });
    overdueOldest = await task(C, p.b, { status: 'active', due_date: '2025-06-01', priority: 'urgent' });
    await done(C, p.b, '2025-06-01T12:00:00Z', { due_date: '2025-06-01' }); // Sun 06-01 local: on time
    await task(C, p.b, { status: 'pending', due_date: '2025-06-18' }); // due today: not overdue
    await task(C, p.b, { status: 'cancelled', due_date: '2025-05-01' });
    for (let i = 0; i < 10; i++) await task(C, p.b, { status: 'pending', due_date: '2025-06-10' });
    // Open and past due, but its project is cancelled: nobody will do it, so it is not overdue.
    await task(C, p.e, { status: 'pending', due_date: '2025-06-01' });

    // Audit activity: Ada 3 events in the 30 days, the analyst 1 (and 1 before them).
    await event(C, c.userId, '2025-06-01T12:00:00Z');
    await event(C, c.userId, '2025-06-10T12:00:00Z');
    await event(C, c.userId, '2025-05-20T03:30:00Z'); // 05-20 00:30 local: first day of the 30
    await event(C, analyst.userId, '2025-06-17T12:00:00Z');
    await event(C, analyst.userId, '2025-05-20T02:30:00Z'); // 05-19 23:30 local: outside
  });

  it('counts projects, weekly completions, overdue tasks and activity in the local calendar', async () => {
    const d = await ok(c, `/analytics/dashboard?asOf=${NOW}`);
    expect(d).toMatchObject({ asOf: NOW, timezone: SP, today: '2025-06-18' });
    expect(d.projectsByStatus).toEqual({ planning: 1, active: 2, on_hold: 0, completed: 2, cancelled: 1 });

    expect(d.tasksCompletedPerWeek).toHaveLength(12);
    expect(d.tasksCompletedPerWeek[0]).toEqual({
      weekStart: '2025-03-31',
      isoWeek: '2025-W14',
      completed: 1,
    });
    expect(d.tasksCompletedPerWeek[11]).toEqual({
      weekStart: '2025-06-16',
      isoWeek: '2025-W25',
      completed: 1,
    });
    expect(d.tasksCompletedPerWeek.map((w: { completed: number }) => w.completed)).toEqual([
      1, 0, 0, 0, 0, 0, 0, 0, 1, 3, 1, 1,
    ]);

    expect(d.overdueTasks.count).toBe(12); // not the cancelled project's task
    expect(d.overdueTasks.items).toHaveLength(10);
    expect(d.overdueTasks.items[0]).toMatchObject({
      id: overdueOldest,
      projectId: p.b,
      status: 'active',
      priority: 'urgent',
      dueDate: '2025-06-01',
      daysOverdue: 17,
    });
    expect(d.overdueTasks.items.slice(1).every((i: { dueDate: string }) => i.dueDate === '2025-06-10')).toBe(
      true,
    );

    expect(
      d.activityPerUser.map((u: { userId: string; events: number; tasksCompleted: number }) => [
        u.userId,
        u.events,
        u.tasksCompleted,
      ]),
    ).toEqual([
      [c.userId, 3, 1], // who completed the task counts, not whom it was assigned to
      [analyst.userId, 1, 1],
      [viewer.userId, 0, 0],
    ]);
    expect(d.activityPerUser[0].name).toBe('Ada Admin');
    // Completed in the 30 days: A's 3 + B's 06-01, 06-16 ×2.
    // Open: 1 + 1 + 1 (due today) + 10 + the cancelled project's 1 (open, though not overdue).
    expect(d.totals).toEqual({ openTasks: 14, tasksCompletedLast30Days: 6 });

    // Before every project was created (2024-01-01), none is counted.
    const before = await ok(c, '/analytics/dashboard?asOf=2023-12-31T12:00:00Z');
    expect(before.projectsByStatus).toEqual({
      planning: 0,
      active: 0,
      on_hold: 0,
      completed: 0,
      cancelled: 0,
    });
  });

  it('reports on-time status, task on-time rate, budget variance, velocity and progress', async () => {
    const page = await ok(c, `/reports/project-performance?asOf=${NOW}`);
    expect(page.nextCursor).toBeNull();
    const byId = Object.fromEntries(page.items.map((i: { id: string }) => [i.id, i]));
    expect(page.items.map((i: { id: string }) => i.id)).toEqual(Object.values(p).sort());

    expect(byId[p.a]).toEqual({
      id: p.a,
      name: expect.any(String),
      status: 'completed',
      clientId,
      currency: 'USD',
      dueDate: '2025-06-10',
      completedAt: '2025-06-11T02:00:00.000Z',
      onTime: true,
      taskOnTimeRate: 50,
      tasks: { total: 3, completed: 3, cancelled: 0, completedWithDueDate: 2, completedOnTime: 1 },
      budgetMinor: 100_000,
      spentMinor: 50_000,
      varianceMinor: 50_000,
      variancePct: 50,
      velocity: 0.75,
      progress: 100,
    });
    expect(byId[p.b]).toMatchObject({
      onTime: false, // open and past due
      taskOnTimeRate: 75, // 3 of 4 completed tasks with a due date
      tasks: { total: 20, completed: 6, cancelled: 1, completedWithDueDate: 4, completedOnTime: 3 },
      spentMinor: 12_500,
      varianceMinor: -2_500,
      variancePct: -25,
      velocity: 0.75, // 06-01, 06-16, 06-16 in the 28 days
      progress: 31, // 6 / 19
    });
    expect(byId[p.c]).toMatchObject({
      onTime: null, // not yet due
      taskOnTimeRate: null,
      budgetMinor: null,
      spentMinor: 0,
      varianceMinor: null,
      variancePct: null,
      velocity: 0,
      progress: 0,
    });
    expect(byId[p.d].onTime).toBe(false); // completed late
    expect(byId[p.e].onTime).toBeNull(); // cancelled
    expect(byId[p.f]).toMatchObject({ onTime: null, progress: 42 });

    // In UTC, project A was completed on 06-11, a day late, and B's first task too.
    await setTimezone(c, 'UTC');
    try {
      const utc = await ok(c, `/reports/project-performance?asOf=${NOW}&clientId=${clientId}`);
      expect(utc.items).toHaveLength(1);
      expect(utc.items[0]).toMatchObject({ id: p.a, onTime: false });
      const b = await ok(c, `/reports/project-performance?asOf=${NOW}&status=active&limit=1`);
      expect(b.items[0]).toMatchObject({ id: p.b, taskOnTimeRate: 50 });
    } finally {
      await setTimezone(c, SP);
    }
  });

  it('pages by id with filters', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const page = await ok(c, `/reports/project-performance?limit=4${q}`);
      seen.push(...page.items.map((i: { id: string }) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(Object.values(p).sort());

    const completed = await ok(c, '/reports/project-performance?status=completed');
    expect(completed.items.map((i: { id: string }) => i.id)).toEqual([p.a, p.d].sort());
    expectFieldError(await get(c, '/reports/project-performance?cursor=nope'), 'cursor');
    expectFieldError(await get(c, '/reports/project-performance?status=done'), 'status');
    expectFieldError(await get(c, '/reports/project-performance?limit=500'), 'limit');
    expectFieldError(await get(c, '/analytics/dashboard?asOf=2025-13-01'), 'asOf');
  });

  it('lets analysts read analytics but not executive figures; viewers neither', async () => {
    expect((await get(analyst, `/analytics/dashboard?asOf=${NOW}`)).statusCode).toBe(200);
    expect((await get(analyst, '/reports/project-performance')).statusCode).toBe(200);
    expect(expectProblem(await get(analyst, '/executive/metrics'), 403, 'forbidden').permission).toBe(
      'executive:read',
    );
    for (const url of ['/analytics/dashboard', '/reports/project-performance']) {
      expect(expectProblem(await get(viewer, url), 403, 'forbidden').permission).toBe('analytics:read');
    }
  });

  it("never shows another organization's projects, tasks or members", async () => {
    const d = await ok(other, `/analytics/dashboard?asOf=${NOW}`);
    expect(d.timezone).toBe('UTC');
    expect(d.projectsByStatus).toEqual({ planning: 0, active: 0, on_hold: 0, completed: 0, cancelled: 0 });
    expect(d.tasksCompletedPerWeek.every((w: { completed: number }) => w.completed === 0)).toBe(true);
    expect(d.overdueTasks).toEqual({ count: 0, items: [] });
    expect(d.activityPerUser.map((u: { userId: string }) => u.userId)).toEqual([other.userId]);
    expect(d.totals).toEqual({ openTasks: 0, tasksCompletedLast30Days: 0 });
    expect((await ok(other, '/reports/project-performance')).items).toEqual([]);
    const trend = await ok(other, `/executive/trends?metric=tasks_completed&days=90&asOf=${NOW}`);
    expect(trend.series[0].points.every((pt: { value: number }) => pt.value === 0)).toBe(true);
    // The same trend in C: every completion from 03-21 (local) up to asOf — A's 3, and B's 06-16 ×2,
    // 06-01 and 03-31 ×2 (the one on 06-18 13:00 is after asOf).
    const own = await ok(c, `/executive/trends?metric=tasks_completed&days=90&asOf=${NOW}`);
    const points = own.series[0].points as { date: string; value: number }[];
    expect(points.reduce((n, pt) => n + pt.value, 0)).toBe(8);
    expect(points.find((pt) => pt.date === '2025-03-30')?.value).toBe(1); // 03-31 02:30Z is the 30th locally
    expect(points.find((pt) => pt.date === '2025-06-15')?.value).toBe(1);
  });
});

// ---- business numbers checked by hand (issue 14, items 15, 16, 19) ------------------------------

describe('MRR, revenue growth and who completed a task, by hand', () => {
  let e: Session;

  const send = (s: Session, method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) =>
    t.request({ method, url: `/api/v1${url}`, headers: s.headers, payload });
  async function made(s: Session, url: string, payload: Record<string, unknown>) {
    const res = await send(s, 'POST', url, payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }

  beforeAll(async () => {
    e = await signUp(t, { orgName: 'Org E' }); // books in UTC
  });

  it('MRR is the sum of the listed monthly values, each rounded half away from zero', async () => {
    const k = (await made(e, '/clients', { name: 'Tie client', status: 'active' })).id;
    const contracts: [number, string, number][] = [
      // amount, interval, monthly value by hand
      [120_006, 'year', 10_001], // 10000.5: a tie, away from zero
      [120_006, 'year', 10_001],
      ...Array.from({ length: 6 }, () => [120_001, 'year', 10_000] as [number, string, number]), // 10000.083
      [100, 'quarter', 33], // 33.33
      [101, 'quarter', 34], // 33.67
      [7, 'month', 7],
      [6, 'year', 1], // 0.5
      [5, 'year', 0], // 0.42
    ];
    for (const [amountMinor, billingInterval, monthly] of contracts) {
      const c = await made(e, '/contracts', {
        clientId: k,
        name: `${amountMinor}/${billingInterval}`,
        amountMinor,
        billingInterval,
        startDate: '2025-01-01',
      });
      expect(c.monthlyValueMinor, c.name).toBe(monthly);
    }
    // An ended one does not count on 2025-06-15.
    await made(e, '/contracts', {
      clientId: k,
      name: 'ended',
      amountMinor: 999,
      billingInterval: 'month',
      startDate: '2025-01-01',
      endDate: '2025-06-14',
    });
    // 10001 × 2 + 10000 × 6 + 33 + 34 + 7 + 1 + 0 = 80077 (summing unrounded values gives 80009.4…
    // without the quarterly ones, rounded to 80009 where the listed values add up to 80010).
    const expected = 80_077;
    const listed = (await get(e, '/contracts?activeOn=2025-06-15&limit=100')).json().items as {
      monthlyValueMinor: number;
    }[];
    expect(listed).toHaveLength(contracts.length);
    expect(listed.reduce((n, c) => n + c.monthlyValueMinor, 0)).toBe(expected);
    const m = await ok(e, '/executive/metrics?asOf=2025-06-15T12:00:00Z');
    expect(m.money[0].mrrMinor).toBe(expected);
    const trend = await ok(e, '/executive/trends?metric=mrr&days=2&asOf=2025-06-15T12:00:00Z');
    expect(trend.series[0].points).toEqual([
      { date: '2025-06-14', value: expected + 999 },
      { date: '2025-06-15', value: expected },
    ]);
  });

  it('revenue growth compares this month so far with the same days of last month', async () => {
    const k = (await made(e, '/clients', { name: 'Paying client', status: 'active' })).id;
    for (const [paidOn, amount] of [
      ['2025-02-01', 400],
      ['2025-02-28', 2_000],
      ['2025-03-01', 1_000],
      ['2025-03-31', 3_000],
      ['2025-05-01', 1_000],
      ['2025-05-02', 500],
      ['2025-05-31', 9_000],
      ['2025-06-01', 800],
    ] as const) {
      await payment(e.orgId, k, paidOn, amount);
    }
    const money = async (asOf: string) => {
      const m = await ok(e, `/executive/metrics?asOf=${asOf}`);
      return { lastMonthSameDay: m.lastMonthSameDay, ...m.money[0] };
    };
    // On the 1st: June 1 (800) against May 1 (1000), not against all of May (10500: −92.38 %).
    expect(await money('2025-06-01T12:00:00Z')).toMatchObject({
      lastMonthSameDay: '2025-05-01',
      revenueThisMonthMinor: 800,
      revenueLastMonthMinor: 10_500,
      revenueLastMonthToDateMinor: 1_000,
      revenueGrowthPct: -20,
    });
    // March 31 against the whole of February, which has no 31st: (4000 − 2400) / 2400 = 66.67 %.
    expect(await money('2025-03-31T12:00:00Z')).toMatchObject({
      lastMonthSameDay: '2025-02-28',
      revenueThisMonthMinor: 4_000,
      revenueLastMonthMinor: 2_400,
      revenueLastMonthToDateMinor: 2_400,
      revenueGrowthPct: 66.67,
    });
    // March 30 too (Feb 1 + 29 days would be past February).
    expect(await money('2025-03-30T12:00:00Z')).toMatchObject({
      lastMonthSameDay: '2025-02-28',
      revenueThisMonthMinor: 1_000,
      revenueLastMonthToDateMinor: 2_400,
      revenueGrowthPct: -58.33,
    });
  });

  it('counts a completed task for the member who completed it, not its assignee', async () => {
    const worker = await addMember(t, e, 'manager');
    const projectId = (await made(e, '/projects', { name: 'Completion', status: 'active' })).id;
    const task = await made(e, '/tasks', {
      projectId,
      title: 'Assigned to the worker',
      assigneeId: worker.userId,
    });
    const done = await send(e, 'PATCH', `/tasks/${task.id}`, { status: 'completed' });
    expect(done.statusCode, done.body).toBe(200);
    const completedBy = async () =>
      (
        await t.owner<{ by: string | null }>(
          'SELECT completed_by AS by FROM tasks WHERE org_id = $1 AND id = $2',
          [e.orgId, task.id],
        )
      ).rows[0]!.by;
    expect(await completedBy()).toBe(e.userId);

    const activity = async () =>
      Object.fromEntries(
        (await ok(e, '/analytics/dashboard')).activityPerUser.map(
          (u: { userId: string; tasksCompleted: number }) => [u.userId, u.tasksCompleted],
        ),
      );
    expect(await activity()).toEqual({ [e.userId]: 1, [worker.userId]: 0 });

    // Reopened, it was completed by nobody; completed again by the worker, it is theirs.
    expect((await send(e, 'PATCH', `/tasks/${task.id}`, { status: 'active' })).statusCode).toBe(200);
    expect(await completedBy()).toBeNull();
    expect((await send(worker, 'PATCH', `/tasks/${task.id}`, { status: 'completed' })).statusCode).toBe(200);
    expect(await completedBy()).toBe(worker.userId);
    expect(await activity()).toEqual({ [e.userId]: 0, [worker.userId]: 1 });
  });

  it('fills completed_by of tasks completed before migration 0011 from the audit trail', async () => {
    const worker = await addMember(t, e, 'manager');
    const projectId = (await made(e, '/projects', { name: 'Backfill', status: 'active' })).id;
    const byWorker = (await made(e, '/tasks', { projectId, title: 'Completed by the worker' })).id;
    expect((await send(worker, 'PATCH', `/tasks/${byWorker}`, { status: 'completed' })).statusCode).toBe(200);
    const unknown = await task(e.orgId, projectId, {
      status: 'completed',
      completed_at: '2025-01-01T00:00:00Z',
    });
    // As before the column existed.
    await t.owner('UPDATE tasks SET completed_by = NULL WHERE org_id = $1', [e.orgId]);
    const sql = readFileSync(
      new URL('../src/migrations/0011_financial_history.sql', import.meta.url),
      'utf8',
    );
    const backfill = /^UPDATE tasks t SET completed_by[\s\S]*?;$/m.exec(sql)?.[0];
    expect(backfill).toBeDefined();
    await t.owner(backfill!);
    const { rows } = await t.owner<{ id: string; by: string | null }>(
      'SELECT id, completed_by AS by FROM tasks WHERE org_id = $1 AND id = ANY($2::uuid[])',
      [e.orgId, [byWorker, unknown]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, r.by]))).toEqual({
      [byWorker]: worker.userId,
      [unknown]: null, // no audit event says who
    });
  });
});
