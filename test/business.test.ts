// Business data (issue 3, item 7, B1–B3): contracts (→ MRR), invoices and payments (→ revenue),
// deals with their stage table (→ conversion) and satisfaction feedback. Every write audited,
// every route permissioned, organizations kept apart, bad input refused with nothing stored.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translateDbError } from '../src/modules/business/common.ts';
import { DEAL_MOVES, DEAL_STAGES, type DealStage } from '../src/modules/business/transitions.ts';
import { AppError } from '../src/platform/errors.ts';
import { expectProblem } from './support/problems.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let A: Session; // org_admin of organization A
let B: Session; // org_admin of organization B
let manager: Session;
let analyst: Session;
let viewer: Session;
let clientA: string;
let clientA2: string;
let clientB: string;
let projectA: string;
let projectB: string;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

function api(
  s: Session,
  method: Method,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  return t.request({
    method,
    url: `/api/v1${url}`,
    headers: { ...s.headers, ...headers },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

/** A 4xx problem whose errors[] names `field` with `rule` (any rule when omitted). */
function expectFieldError(res: LightMyRequestResponse, field: string, rule?: string, status = 400) {
  const body = expectProblem(res, status, status === 400 ? 'validation-failed' : 'conflict');
  const errors = body.errors as { field: string; rule: string; message: string }[];
  const err = errors.find((e) => e.field === field);
  expect(err, `errors[] should name ${field}: ${res.body}`).toBeDefined();
  if (rule) expect(err!.rule).toBe(rule);
  expect(err!.message).toBeTruthy();
  return body;
}

async function created(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Rows of a business table in an organization, counted as the owner (RLS does not apply). */
async function count(table: string, orgId: string): Promise<number> {
  const { rows } = await t.owner<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`, [
    orgId,
  ]);
  return rows[0]!.n;
}

async function auditCount(orgId: string): Promise<number> {
  return count('audit_events', orgId);
}

/** Asserts `attempt` leaves the table and the audit trail of org A as they were. */
async function nothingStored(table: string, attempt: () => Promise<void>) {
  const rows = await count(table, A.orgId);
  const events = await auditCount(A.orgId);
  await attempt();
  expect(await count(table, A.orgId)).toBe(rows);
  expect(await auditCount(A.orgId)).toBe(events);
}

let invoiceCounter = 0;
const nextNumber = () => `INV-${++invoiceCounter}`;

function newInvoice(s: Session, clientId: string, extra: Record<string, unknown> = {}) {
  return api(s, 'POST', '/invoices', {
    clientId,
    number: nextNumber(),
    issuedOn: '2099-01-01',
    dueOn: '2099-01-31',
    amountMinor: 10_000,
    ...extra,
  });
}

beforeAll(async () => {
  t = await createTestApp();
  A = await signUp(t, { orgName: 'Org A' });
  B = await signUp(t, { orgName: 'Org B' });
  manager = await addMember(t, A, 'manager');
  analyst = await addMember(t, A, 'analyst');
  viewer = await addMember(t, A, 'viewer');
  clientA = (await created(await api(A, 'POST', '/clients', { name: 'Acme' }))).id;
  clientA2 = (await created(await api(A, 'POST', '/clients', { name: 'Beta' }))).id;
  clientB = (await created(await api(B, 'POST', '/clients', { name: 'Other Co' }))).id;
  projectA = (await created(await api(A, 'POST', '/projects', { name: 'Launch' }))).id;
  projectB = (await created(await api(B, 'POST', '/projects', { name: 'Elsewhere' }))).id;
});

afterAll(async () => {
  await t?.close();
});

// ---- contracts -------------------------------------------------------------------------------

describe('contracts', () => {
  it('creates, reads with an ETag, lists, updates with If-Match and deletes', async () => {
    const c = await created(
      await api(A, 'POST', '/contracts', {
        clientId: clientA,
        name: 'Support',
        amountMinor: 50_000,
        billingInterval: 'month',
        startDate: '2099-01-01', // not started yet: it may be deleted
      }),
    );
    expect(c).toMatchObject({
      clientId: clientA,
      amountMinor: 50_000,
      currency: 'USD',
      billingInterval: 'month',
      startDate: '2099-01-01',
      endDate: null,
      monthlyValueMinor: 50_000,
      version: 1,
    });

    const got = await api(A, 'GET', `/contracts/${c.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.json()).toEqual(c);

    const upd = await api(A, 'PATCH', `/contracts/${c.id}`, { amountMinor: 60_000 }, { 'if-match': '"1"' });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json()).toMatchObject({ amountMinor: 60_000, monthlyValueMinor: 60_000, version: 2 });

    const stale = await api(A, 'PATCH', `/contracts/${c.id}`, { amountMinor: 1 }, { 'if-match': '"1"' });
    expect(expectProblem(stale, 412, 'precondition-failed').currentVersion).toBe(2);
    expect((await api(A, 'GET', `/contracts/${c.id}`)).json()).toMatchObject({
      amountMinor: 60_000,
      version: 2,
    });

    const staleDelete = await api(A, 'DELETE', `/contracts/${c.id}`, undefined, { 'if-match': '"1"' });
    expectProblem(staleDelete, 412, 'precondition-failed');
    const del = await api(A, 'DELETE', `/contracts/${c.id}`, undefined, { 'if-match': '"2"' });
    expect(del.statusCode).toBe(204);
    expectProblem(await api(A, 'GET', `/contracts/${c.id}`), 404, 'not-found');
  });

  it('answers the monthly value of yearly contracts, rounded', async () => {
    const yearly = await created(
      await api(A, 'POST', '/contracts', {
        clientId: clientA,
        name: 'Licence',
        amountMinor: 100_006, // 8333.83 a month
        currency: 'USD',
        billingInterval: 'year',
        startDate: '2024-01-01',
        endDate: '2024-12-31',
      }),
    );
    expect(yearly.monthlyValueMinor).toBe(8334);
    const half = await created(
      await api(A, 'POST', '/contracts', {
        clientId: clientA,
        name: 'Half',
        amountMinor: 18, // 1.5 a month rounds half away from zero
        billingInterval: 'year',
        startDate: '2024-01-01',
      }),
    );
    expect(half.monthlyValueMinor).toBe(2);
  });

  it('lists by client, by activity on a day, sorted and paged', async () => {
    const mk = (name: string, startDate: string, endDate: string | null, clientId = clientA2) =>
      api(A, 'POST', '/contracts', {
        clientId,
        name,
        amountMinor: 1000,
        billingInterval: 'month',
        startDate,
        endDate,
      }).then(created);
    const past = await mk('Past', '2020-01-01', '2020-12-31');
    const current = await mk('Current', '2020-06-01', null);
    const future = await mk('Future', '2099-01-01', '2099-12-31');

    const byClient = (await api(A, 'GET', `/contracts?clientId=${clientA2}&sort=name`)).json();
    expect(byClient.items.map((c: { name: string }) => c.name)).toEqual(['Current', 'Future', 'Past']);

    const activeToday = (await api(A, 'GET', `/contracts?clientId=${clientA2}&active=true`)).json();
    expect(activeToday.items.map((c: { id: string }) => c.id)).toEqual([current.id]);
    const inactiveToday = (
      await api(A, 'GET', `/contracts?clientId=${clientA2}&active=false&sort=startDate`)
    ).json();
    expect(inactiveToday.items.map((c: { id: string }) => c.id)).toEqual([past.id, future.id]);

    const on2020 = (
      await api(A, 'GET', `/contracts?clientId=${clientA2}&active=true&activeOn=2020-07-15&sort=startDate`)
    ).json();
    expect(on2020.items.map((c: { id: string }) => c.id)).toEqual([past.id, current.id]);
    // The last day of a contract still counts.
    const lastDay = (
      await api(A, 'GET', `/contracts?clientId=${clientA2}&activeOn=2020-12-31&sort=startDate`)
    ).json();
    expect(lastDay.items.map((c: { id: string }) => c.id)).toEqual([past.id, current.id]);
    const dayAfter = (await api(A, 'GET', `/contracts?clientId=${clientA2}&activeOn=2021-01-01`)).json();
    expect(dayAfter.items.map((c: { id: string }) => c.id)).toEqual([current.id]);

    const page1 = (await api(A, 'GET', `/contracts?clientId=${clientA2}&sort=-startDate&limit=2`)).json();
    expect(page1.items.map((c: { id: string }) => c.id)).toEqual([future.id, current.id]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = (
      await api(
        A,
        'GET',
        `/contracts?clientId=${clientA2}&sort=-startDate&limit=2&cursor=${page1.nextCursor}`,
      )
    ).json();
    expect(page2.items.map((c: { id: string }) => c.id)).toEqual([past.id]);
    expect(page2.nextCursor).toBeNull();

    expectFieldError(await api(A, 'GET', '/contracts?sort=secret'), 'sort');
    expectFieldError(await api(A, 'GET', '/contracts?active=maybe'), 'active');
  });

  it('refuses bad input naming the field and rule, storing nothing', async () => {
    const good = {
      clientId: clientA,
      name: 'Bad',
      amountMinor: 1000,
      billingInterval: 'month',
      startDate: '2024-03-01',
      endDate: '2024-12-31',
    };
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ amountMinor: -500 }, 'amountMinor', 'minimum'],
      [{ amountMinor: 0 }, 'amountMinor', 'minimum'],
      [{ amountMinor: 10.5 }, 'amountMinor', 'type'],
      [{ currency: 'EUR' }, 'currency', 'organizationCurrency'],
      [{ currency: 'XYZ' }, 'currency', 'currency'],
      [{ currency: 'usd' }, 'currency', 'pattern'],
      [{ endDate: '2024-02-29' }, 'endDate', 'notBeforeStart'],
      [{ startDate: '2024-02-30' }, 'startDate', 'format'],
      [{ billingInterval: 'week' }, 'billingInterval', 'enum'],
      [{ clientId: '01890000-0000-7000-8000-000000000000' }, 'clientId', 'exists'],
      [{ clientId: clientB }, 'clientId', 'exists'],
      [{ clientId: 'not-a-uuid' }, 'clientId', 'format'],
      [{ name: '' }, 'name', 'minLength'],
      [{ extra: 1 }, 'extra', 'additionalProperties'],
    ];
    for (const [change, field, rule] of cases) {
      await nothingStored('contracts', async () => {
        expectFieldError(await api(A, 'POST', '/contracts', { ...good, ...change }), field, rule);
      });
    }

    const c = await created(await api(A, 'POST', '/contracts', good));
    const patches: [Record<string, unknown>, string, string][] = [
      [{ endDate: '2024-01-01' }, 'endDate', 'notBeforeStart'],
      [{ startDate: '2025-01-01' }, 'startDate', 'notBeforeStart'],
      [{ currency: 'EUR' }, 'currency', 'organizationCurrency'],
      [{ amountMinor: -1 }, 'amountMinor', 'minimum'],
      [{ clientId: clientB }, 'clientId', 'exists'],
    ];
    for (const [change, field, rule] of patches) {
      await nothingStored('contracts', async () => {
        expectFieldError(await api(A, 'PATCH', `/contracts/${c.id}`, change), field, rule);
      });
    }
    expect((await api(A, 'GET', `/contracts/${c.id}`)).json()).toEqual(c);
  });
});

// ---- invoices and payments -------------------------------------------------------------------

describe('invoices and payments', () => {
  it('creates, reads, lists, updates with If-Match and deletes an invoice', async () => {
    const inv = await created(await newInvoice(A, clientA));
    expect(inv).toMatchObject({
      clientId: clientA,
      currency: 'USD',
      status: 'open',
      amountMinor: 10_000,
      paidMinor: 0,
      balanceMinor: 10_000,
      state: 'open',
      version: 1,
    });
    const got = await api(A, 'GET', `/invoices/${inv.id}`);
    expect(got.headers.etag).toBe('"1"');
    expect(got.json()).toEqual(inv);

    const upd = await api(A, 'PATCH', `/invoices/${inv.id}`, { amountMinor: 12_000 }, { 'if-match': '"1"' });
    expect(upd.json()).toMatchObject({ amountMinor: 12_000, balanceMinor: 12_000, version: 2 });
    expectProblem(
      await api(A, 'PATCH', `/invoices/${inv.id}`, { amountMinor: 1 }, { 'if-match': '"1"' }),
      412,
      'precondition-failed',
    );
    expect((await api(A, 'GET', `/invoices/${inv.id}`)).json().amountMinor).toBe(12_000);

    const list = (await api(A, 'GET', `/invoices?clientId=${clientA}&sort=number`)).json();
    expect(list.items.map((i: { id: string }) => i.id)).toContain(inv.id);

    expect((await api(A, 'DELETE', `/invoices/${inv.id}`)).statusCode).toBe(204);
    expectProblem(await api(A, 'GET', `/invoices/${inv.id}`), 404, 'not-found');
  });

  it('derives the state from payments, due date and status', async () => {
    const inv = await created(await newInvoice(A, clientA, { amountMinor: 10_000 }));
    const url = `/invoices/${inv.id}`;

    const p1 = await created(
      await api(A, 'POST', `${url}/payments`, {
        paidOn: '2025-01-05',
        amountMinor: 4000,
        method: 'transfer',
      }),
    );
    expect(p1).toMatchObject({ invoiceId: inv.id, amountMinor: 4000, currency: 'USD', method: 'transfer' });
    expect((await api(A, 'GET', url)).json()).toMatchObject({
      paidMinor: 4000,
      balanceMinor: 6000,
      state: 'partially_paid',
    });

    // Paying more than the balance is refused, naming the balance; nothing is stored.
    await nothingStored('payments', async () => {
      const over = await api(A, 'POST', `${url}/payments`, { paidOn: '2025-01-06', amountMinor: 6001 });
      const body = expectFieldError(over, 'amountMinor', 'notAboveBalance', 409);
      expect(body.balanceMinor).toBe(6000);
      expect(body.detail).toContain('6000');
    });

    const p2 = await created(
      await api(A, 'POST', `${url}/payments`, { paidOn: '2025-01-07', amountMinor: 6000 }),
    );
    expect((await api(A, 'GET', url)).json()).toMatchObject({
      paidMinor: 10_000,
      balanceMinor: 0,
      state: 'paid',
    });
    await nothingStored('payments', async () => {
      const body = expectProblem(
        await api(A, 'POST', `${url}/payments`, { paidOn: '2025-01-08', amountMinor: 1 }),
        409,
        'conflict',
      );
      expect(body.balanceMinor).toBe(0);
    });

    const payments = (await api(A, 'GET', `${url}/payments`)).json();
    expect(payments.items.map((p: { id: string }) => p.id)).toEqual([p1.id, p2.id]);
    const one = await api(A, 'GET', `${url}/payments/${p1.id}`);
    expect(one.statusCode).toBe(200);
    expect(one.headers.etag).toBe('"1"');

    // An invoice with payments can be neither voided, lowered below what was paid, nor deleted.
    await nothingStored('invoices', async () => {
      expectFieldError(await api(A, 'PATCH', url, { status: 'void' }), 'status', 'noPayments', 409);
      expectFieldError(await api(A, 'PATCH', url, { amountMinor: 9999 }), 'amountMinor', 'notBelowPaid', 409);
      expectProblem(await api(A, 'DELETE', url), 409, 'conflict');
    });
    expect((await api(A, 'GET', url)).json()).toMatchObject({
      status: 'open',
      amountMinor: 10_000,
      version: 1,
    });

    // Deleting a payment restores the balance.
    expectProblem(
      await api(A, 'DELETE', `${url}/payments/${p2.id}`, undefined, { 'if-match': '"9"' }),
      412,
      'precondition-failed',
    );
    expect((await api(A, 'DELETE', `${url}/payments/${p2.id}`)).statusCode).toBe(204);
    expect((await api(A, 'GET', url)).json()).toMatchObject({ paidMinor: 4000, balanceMinor: 6000 });
    expectProblem(await api(A, 'GET', `${url}/payments/${p2.id}`), 404, 'not-found');
  });

  it('marks an unpaid invoice past its due date overdue, and lists by state', async () => {
    const overdue = await created(
      await newInvoice(A, clientA2, { issuedOn: '2020-01-01', dueOn: '2020-01-31', amountMinor: 5000 }),
    );
    expect(overdue.state).toBe('overdue');
    await created(
      await api(A, 'POST', `/invoices/${overdue.id}/payments`, { paidOn: '2020-02-10', amountMinor: 1000 }),
    );
    // Partly paid and past due: still overdue (overdue wins over partially_paid).
    expect((await api(A, 'GET', `/invoices/${overdue.id}`)).json()).toMatchObject({
      state: 'overdue',
      balanceMinor: 4000,
    });

    const settledLate = await created(
      await newInvoice(A, clientA2, { issuedOn: '2020-01-01', dueOn: '2020-01-31', amountMinor: 700 }),
    );
    await created(
      await api(A, 'POST', `/invoices/${settledLate.id}/payments`, {
        paidOn: '2020-03-01',
        amountMinor: 700,
      }),
    );
    expect((await api(A, 'GET', `/invoices/${settledLate.id}`)).json().state).toBe('paid');

    const open = await created(await newInvoice(A, clientA2));
    const voided = await created(await newInvoice(A, clientA2, { status: 'void' }));
    expect(voided).toMatchObject({ status: 'void', state: 'void', balanceMinor: 0 });

    const byState = async (state: string) =>
      (await api(A, 'GET', `/invoices?clientId=${clientA2}&state=${state}`))
        .json()
        .items.map((i: { id: string }) => i.id);
    expect(await byState('overdue')).toEqual([overdue.id]);
    expect(await byState('paid')).toEqual([settledLate.id]);
    expect(await byState('open')).toEqual([open.id]);
    expect(await byState('void')).toEqual([voided.id]);
    expect(await byState('partially_paid')).toEqual([]);
    const dueBefore = (
      await api(A, 'GET', `/invoices?clientId=${clientA2}&dueBefore=2021-01-01&sort=amountMinor`)
    )
      .json()
      .items.map((i: { id: string }) => i.id);
    expect(dueBefore).toEqual([settledLate.id, overdue.id]);
  });

  it('voids and reopens an invoice without payments; a void invoice takes no payments', async () => {
    const inv = await created(await newInvoice(A, clientA));
    const url = `/invoices/${inv.id}`;
    const v = await api(A, 'PATCH', url, { status: 'void' }, { 'if-match': '"1"' });
    expect(v.json()).toMatchObject({ status: 'void', state: 'void', balanceMinor: 0, version: 2 });
    await nothingStored('payments', async () => {
      const body = expectProblem(
        await api(A, 'POST', `${url}/payments`, { paidOn: '2025-01-05', amountMinor: 100 }),
        409,
        'conflict',
      );
      expect(body.detail).toContain('void');
    });
    const reopened = await api(A, 'PATCH', url, { status: 'open' });
    expect(reopened.json()).toMatchObject({ status: 'open', state: 'open', balanceMinor: 10_000 });
  });

  it('refuses bad invoices and payments naming the field and rule, storing nothing', async () => {
    const good = { clientId: clientA, issuedOn: '2024-05-01', dueOn: '2024-05-31', amountMinor: 2500 };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ amountMinor: -1 }, 'amountMinor', 'minimum'],
      [{ amountMinor: 0 }, 'amountMinor', 'minimum'],
      [{ currency: 'EUR' }, 'currency', 'organizationCurrency'],
      [{ currency: 'XYZ' }, 'currency', 'currency'],
      [{ dueOn: '2024-04-30' }, 'dueOn', 'notBeforeIssued'],
      [{ clientId: clientB }, 'clientId', 'exists'],
      [{ status: 'paid' }, 'status', 'enum'],
    ];
    for (const [change, field, rule] of cases) {
      await nothingStored('invoices', async () => {
        expectFieldError(
          await api(A, 'POST', '/invoices', { ...good, number: nextNumber(), ...change }),
          field,
          rule,
        );
      });
    }
    await nothingStored('invoices', async () => {
      expectFieldError(await api(A, 'POST', '/invoices', { ...good }), 'number', 'required');
    });

    // Numbers are unique per organization (409), but another organization may reuse one.
    const first = await created(await api(A, 'POST', '/invoices', { ...good, number: 'DUP-1' }));
    await nothingStored('invoices', async () => {
      expectFieldError(
        await api(A, 'POST', '/invoices', { ...good, number: 'DUP-1' }),
        'number',
        'unique',
        409,
      );
    });
    const second = await created(await api(A, 'POST', '/invoices', { ...good, number: 'DUP-2' }));
    expectFieldError(
      await api(A, 'PATCH', `/invoices/${second.id}`, { number: 'DUP-1' }),
      'number',
      'unique',
      409,
    );
    await created(await api(B, 'POST', '/invoices', { ...good, clientId: clientB, number: 'DUP-1' }));

    // Updates follow the same rules.
    expectFieldError(await api(A, 'PATCH', `/invoices/${first.id}`, { dueOn: '2024-01-01' }), 'dueOn');
    expectFieldError(await api(A, 'PATCH', `/invoices/${first.id}`, { issuedOn: '2024-06-01' }), 'issuedOn');
    expectFieldError(await api(A, 'PATCH', `/invoices/${first.id}`, { currency: 'EUR' }), 'currency');
    expect((await api(A, 'GET', `/invoices/${first.id}`)).json()).toEqual(first);

    // Payments: positive, in the invoice's currency.
    const url = `/invoices/${first.id}/payments`;
    const badPayments: [Record<string, unknown>, string, string][] = [
      [{ amountMinor: -100 }, 'amountMinor', 'minimum'],
      [{ amountMinor: 0 }, 'amountMinor', 'minimum'],
      [{ currency: 'EUR' }, 'currency', 'invoiceCurrency'],
      [{ currency: 'XYZ' }, 'currency', 'invoiceCurrency'],
      [{ paidOn: 'yesterday' }, 'paidOn', 'format'],
    ];
    for (const [change, field, rule] of badPayments) {
      await nothingStored('payments', async () => {
        expectFieldError(
          await api(A, 'POST', url, { paidOn: '2024-05-02', amountMinor: 100, ...change }),
          field,
          rule,
        );
      });
    }
    expectProblem(
      await api(A, 'POST', '/invoices/01890000-0000-7000-8000-000000000000/payments', {
        paidOn: '2024-05-02',
        amountMinor: 1,
      }),
      404,
      'not-found',
    );
  });
});

// ---- deals -----------------------------------------------------------------------------------

describe('deals', () => {
  it('follows the stage table: every legal move passes, every other one is 409 with allowedMoves', async () => {
    for (const from of DEAL_STAGES) {
      for (const to of DEAL_STAGES) {
        if (from === to) continue;
        const deal = await created(await api(A, 'POST', '/deals', { title: `${from}→${to}`, stage: from }));
        const res = await api(A, 'PATCH', `/deals/${deal.id}`, { stage: to });
        const allowed = DEAL_MOVES[from].map((m) => m.to);
        if (allowed.includes(to)) {
          expect(res.statusCode, `${from} → ${to}: ${res.body}`).toBe(200);
          expect(res.json().stage).toBe(to);
        } else {
          const body = expectProblem(res, 409, 'invalid-transition');
          expect(body.allowedMoves).toEqual(allowed);
          expect(body.from).toBe(from);
          expect(body.to).toBe(to);
          expect((await api(A, 'GET', `/deals/${deal.id}`)).json().stage).toBe(from);
        }
      }
    }
  });

  it('spells the table out: skips forward, goes back among open stages, closes and reopens', async () => {
    const closed = (s: DealStage) => s === 'won' || s === 'lost';
    const open: DealStage[] = ['lead', 'qualified', 'proposal', 'negotiation'];
    for (const from of open) {
      expect(DEAL_MOVES[from].map((m) => m.to).sort()).toEqual(
        DEAL_STAGES.filter((s) => s !== from)
          .slice()
          .sort(),
      );
    }
    for (const from of DEAL_STAGES.filter(closed))
      expect(DEAL_MOVES[from].map((m) => m.to)).toEqual(['negotiation']);

    const deal = await created(
      await api(A, 'POST', '/deals', {
        title: 'Big one',
        clientId: clientA,
        amountMinor: 90_000,
        ownerId: manager.userId,
      }),
    );
    expect(deal).toMatchObject({ stage: 'lead', closedAt: null, currency: 'USD', ownerId: manager.userId });
    const move = async (stage: DealStage) => {
      const res = await api(A, 'PATCH', `/deals/${deal.id}`, { stage });
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    expect((await move('proposal')).closedAt).toBeNull(); // skipping qualified
    expect((await move('qualified')).closedAt).toBeNull(); // back
    const won = await move('won');
    expect(won.closedAt).toEqual(expect.any(String));
    expect(Date.now() - Date.parse(won.closedAt)).toBeLessThan(60_000);
    const refused = expectProblem(
      await api(A, 'PATCH', `/deals/${deal.id}`, { stage: 'lost' }),
      409,
      'invalid-transition',
    );
    expect(refused.allowedMoves).toEqual(['negotiation']);
    expect(refused.detail).toContain('negotiation');
    const reopened = await move('negotiation');
    expect(reopened.closedAt).toBeNull();
    const lost = await move('lost');
    expect(lost.closedAt).toEqual(expect.any(String));
    expectProblem(
      await api(A, 'PATCH', `/deals/${deal.id}`, { stage: 'qualified' }),
      409,
      'invalid-transition',
    );

    const createdWon = await created(
      await api(A, 'POST', '/deals', { title: 'Signed already', stage: 'won' }),
    );
    expect(createdWon.closedAt).toEqual(expect.any(String));

    // The audit trail records the stage change with closedAt.
    const events = (await api(A, 'GET', `/audit/search?resource_type=deal&resource_id=${deal.id}`)).json()
      .items;
    const change = events.find(
      (e: { action: string; changes: Record<string, unknown> }) =>
        e.action === 'deal.stage_change' && (e.changes.stage as { after: string }).after === 'won',
    );
    expect(change.changes.stage).toEqual({ before: 'qualified', after: 'won' });
    expect(change.changes.closed_at.before).toBeNull();
    expect(change.changes.closed_at.after).toEqual(expect.any(String));
  });

  it('reads, lists, updates with If-Match, summarises the pipeline and deletes', async () => {
    const { orgId } = await signUp(t, { orgName: 'Pipeline Org' }).then(async (s) => {
      const c = (await created(await api(s, 'POST', '/clients', { name: 'P' }))).id;
      const mk = (stage: DealStage, amountMinor: number) =>
        api(s, 'POST', '/deals', { title: `${stage} ${amountMinor}`, stage, amountMinor, clientId: c }).then(
          created,
        );
      await mk('lead', 100);
      await mk('lead', 250);
      await mk('proposal', 1000);
      await mk('won', 5000);
      await mk('lost', 7);
      const pipe = (await api(s, 'GET', '/deals/pipeline')).json();
      expect(pipe).toEqual({
        currency: 'USD',
        stages: [
          { stage: 'lead', count: 2, amountMinor: 350 },
          { stage: 'qualified', count: 0, amountMinor: 0 },
          { stage: 'proposal', count: 1, amountMinor: 1000 },
          { stage: 'negotiation', count: 0, amountMinor: 0 },
          { stage: 'won', count: 1, amountMinor: 5000 },
          { stage: 'lost', count: 1, amountMinor: 7 },
        ],
      });
      const openDeals = (await api(s, 'GET', '/deals?open=true&sort=amountMinor')).json();
      expect(openDeals.items.map((d: { amountMinor: number }) => d.amountMinor)).toEqual([100, 250, 1000]);
      const closedDeals = (await api(s, 'GET', '/deals?open=false&sort=-amountMinor')).json();
      expect(closedDeals.items.map((d: { stage: string }) => d.stage)).toEqual(['won', 'lost']);
      const leads = (await api(s, 'GET', '/deals?stage=lead&limit=1&sort=title')).json();
      expect(leads.items).toHaveLength(1);
      expect(leads.nextCursor).toEqual(expect.any(String));
      return { orgId: s.orgId };
    });
    expect(orgId).not.toBe(A.orgId);

    const deal = await created(
      await api(A, 'POST', '/deals', { title: 'Edit me', expectedCloseOn: '2099-06-30' }),
    );
    const got = await api(A, 'GET', `/deals/${deal.id}`);
    expect(got.headers.etag).toBe('"1"');
    const upd = await api(
      A,
      'PATCH',
      `/deals/${deal.id}`,
      { amountMinor: 4200, clientId: clientA },
      { 'if-match': '"1"' },
    );
    expect(upd.json()).toMatchObject({ amountMinor: 4200, clientId: clientA, version: 2 });
    expectProblem(
      await api(A, 'PATCH', `/deals/${deal.id}`, { stage: 'won' }, { 'if-match': '"1"' }),
      412,
      'precondition-failed',
    );
    expect((await api(A, 'GET', `/deals/${deal.id}`)).json()).toMatchObject({
      stage: 'lead',
      closedAt: null,
    });
    const byClient = (await api(A, 'GET', `/deals?clientId=${clientA}&ownerId=${manager.userId}`)).json();
    expect(byClient.items.every((d: { ownerId: string }) => d.ownerId === manager.userId)).toBe(true);
    expect((await api(A, 'DELETE', `/deals/${deal.id}`)).statusCode).toBe(204);
    expectProblem(await api(A, 'GET', `/deals/${deal.id}`), 404, 'not-found');
  });

  it('refuses bad deals naming the field and rule, storing nothing', async () => {
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ amountMinor: -1 }, 'amountMinor', 'minimum'],
      [{ currency: 'EUR' }, 'currency', 'organizationCurrency'],
      [{ currency: 'XYZ' }, 'currency', 'currency'],
      [{ clientId: clientB }, 'clientId', 'exists'],
      [{ ownerId: B.userId }, 'ownerId', 'member'],
      [{ stage: 'closed' }, 'stage', 'enum'],
      [{ expectedCloseOn: '31/12/2024' }, 'expectedCloseOn', undefined], // nullable: AJV reports anyOf
    ];
    for (const [change, field, rule] of cases) {
      await nothingStored('deals', async () => {
        expectFieldError(await api(A, 'POST', '/deals', { title: 'Bad', ...change }), field, rule);
      });
    }
    const deal = await created(await api(A, 'POST', '/deals', { title: 'Fine' }));
    expectFieldError(await api(A, 'PATCH', `/deals/${deal.id}`, { ownerId: B.userId }), 'ownerId', 'member');
    expectFieldError(
      await api(A, 'PATCH', `/deals/${deal.id}`, { amountMinor: -5 }),
      'amountMinor',
      'minimum',
    );
    expect((await api(A, 'GET', `/deals/${deal.id}`)).json()).toEqual(deal);
  });
});

// ---- feedback --------------------------------------------------------------------------------

describe('feedback', () => {
  it('records feedback about a client and/or a project, lists, updates and deletes it', async () => {
    const { rows } = await t.owner<{ today: string }>(
      'SELECT (now() AT TIME ZONE timezone)::date::text AS today FROM organizations WHERE id = $1',
      [A.orgId],
    );
    const f1 = await created(
      await api(A, 'POST', '/feedback', { clientId: clientA, score: 5, comment: 'Great' }),
    );
    expect(f1).toMatchObject({ clientId: clientA, projectId: null, score: 5, receivedOn: rows[0]!.today });
    const f2 = await created(
      await api(A, 'POST', '/feedback', { projectId: projectA, score: 2, receivedOn: '2024-02-29' }),
    );
    const f3 = await created(
      await api(A, 'POST', '/feedback', {
        clientId: clientA,
        projectId: projectA,
        score: 4,
        receivedOn: '2024-03-01',
      }),
    );

    const ids = async (query: string) =>
      (await api(A, 'GET', `/feedback?${query}`)).json().items.map((f: { id: string }) => f.id);
    expect(await ids(`clientId=${clientA}&sort=score`)).toEqual([f3.id, f1.id]);
    expect(await ids(`projectId=${projectA}&sort=receivedOn`)).toEqual([f2.id, f3.id]);
    expect(await ids(`projectId=${projectA}&score=2`)).toEqual([f2.id]);
    expect(await ids('receivedFrom=2024-03-01&receivedTo=2024-03-01')).toEqual([f3.id]);

    const got = await api(A, 'GET', `/feedback/${f2.id}`);
    expect(got.headers.etag).toBe('"1"');
    const upd = await api(
      A,
      'PATCH',
      `/feedback/${f2.id}`,
      { score: 3, clientId: clientA },
      { 'if-match': '"1"' },
    );
    expect(upd.json()).toMatchObject({ score: 3, clientId: clientA, projectId: projectA, version: 2 });
    expectProblem(
      await api(A, 'PATCH', `/feedback/${f2.id}`, { score: 1 }, { 'if-match': '"1"' }),
      412,
      'precondition-failed',
    );
    expect((await api(A, 'GET', `/feedback/${f2.id}`)).json().score).toBe(3);
    expect((await api(A, 'DELETE', `/feedback/${f1.id}`)).statusCode).toBe(204);
    expectProblem(await api(A, 'GET', `/feedback/${f1.id}`), 404, 'not-found');
  });

  it('refuses bad feedback naming the field and rule, storing nothing', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ clientId: clientA, score: 0 }, 'score', 'minimum'],
      [{ clientId: clientA, score: 6 }, 'score', 'maximum'],
      [{ clientId: clientA, score: 3.5 }, 'score', 'type'],
      [{ score: 3 }, 'clientId', 'clientOrProject'],
      [{ clientId: null, projectId: null, score: 3 }, 'clientId', 'clientOrProject'],
      [{ clientId: clientB, score: 3 }, 'clientId', 'exists'],
      [{ projectId: projectB, score: 3 }, 'projectId', 'exists'],
      [{ projectId: '01890000-0000-7000-8000-000000000000', score: 3 }, 'projectId', 'exists'],
      [{ clientId: clientA, score: 3, comment: 'x'.repeat(5001) }, 'comment', 'maxLength'],
    ];
    for (const [body, field, rule] of cases) {
      await nothingStored('feedback', async () => {
        expectFieldError(await api(A, 'POST', '/feedback', body), field, rule);
      });
    }
    const f = await created(await api(A, 'POST', '/feedback', { projectId: projectA, score: 4 }));
    expectFieldError(
      await api(A, 'PATCH', `/feedback/${f.id}`, { projectId: null }),
      'projectId',
      'clientOrProject',
    );
    expectFieldError(
      await api(A, 'PATCH', `/feedback/${f.id}`, { projectId: projectB }),
      'projectId',
      'exists',
    );
    expect((await api(A, 'GET', `/feedback/${f.id}`)).json()).toEqual(f);
  });
});

// ---- permissions -----------------------------------------------------------------------------

describe('permissions', () => {
  it('viewer cannot read business data; analyst reads but cannot write; manager writes', async () => {
    const contract = await created(
      await api(manager, 'POST', '/contracts', {
        clientId: clientA,
        name: 'By manager',
        amountMinor: 100,
        billingInterval: 'month',
        startDate: '2024-01-01',
      }),
    );
    const invoice = await created(await newInvoice(manager, clientA));
    const deal = await created(await api(manager, 'POST', '/deals', { title: 'By manager' }));
    const feedback = await created(await api(manager, 'POST', '/feedback', { clientId: clientA, score: 4 }));
    const payment = await created(
      await api(manager, 'POST', `/invoices/${invoice.id}/payments`, {
        paidOn: '2025-01-02',
        amountMinor: 10,
      }),
    );
    const reads = [
      '/contracts',
      `/contracts/${contract.id}`,
      '/invoices',
      `/invoices/${invoice.id}`,
      `/invoices/${invoice.id}/payments`,
      `/invoices/${invoice.id}/payments/${payment.id}`,
      '/deals',
      '/deals/pipeline',
      `/deals/${deal.id}`,
      '/feedback',
      `/feedback/${feedback.id}`,
    ];
    for (const url of reads) {
      const denied = expectProblem(await api(viewer, 'GET', url), 403, 'forbidden');
      expect(denied.permission).toBe('business:read');
      expect((await api(analyst, 'GET', url)).statusCode, url).toBe(200);
    }
    const writes: [Method, string, unknown][] = [
      [
        'POST',
        '/contracts',
        { clientId: clientA, name: 'x', amountMinor: 1, billingInterval: 'month', startDate: '2024-01-01' },
      ],
      ['PATCH', `/contracts/${contract.id}`, { name: 'y' }],
      ['DELETE', `/contracts/${contract.id}`, undefined],
      [
        'POST',
        '/invoices',
        {
          clientId: clientA,
          number: nextNumber(),
          issuedOn: '2024-01-01',
          dueOn: '2024-01-02',
          amountMinor: 1,
        },
      ],
      ['PATCH', `/invoices/${invoice.id}`, { status: 'void' }],
      ['DELETE', `/invoices/${invoice.id}`, undefined],
      ['POST', `/invoices/${invoice.id}/payments`, { paidOn: '2025-01-02', amountMinor: 1 }],
      ['DELETE', `/invoices/${invoice.id}/payments/${payment.id}`, undefined],
      ['POST', '/deals', { title: 'x' }],
      ['PATCH', `/deals/${deal.id}`, { stage: 'won' }],
      ['DELETE', `/deals/${deal.id}`, undefined],
      ['POST', '/feedback', { clientId: clientA, score: 1 }],
      ['PATCH', `/feedback/${feedback.id}`, { score: 1 }],
      ['DELETE', `/feedback/${feedback.id}`, undefined],
    ];
    for (const [method, url, body] of writes) {
      for (const who of [analyst, viewer]) {
        const denied = expectProblem(await api(who, method, url, body), 403, 'forbidden');
        expect(denied.permission).toBe('business:manage');
      }
    }
    // Nothing changed.
    expect((await api(A, 'GET', `/contracts/${contract.id}`)).json()).toEqual(contract);
    expect((await api(A, 'GET', `/deals/${deal.id}`)).json()).toEqual(deal);
    expect((await api(A, 'GET', `/invoices/${invoice.id}`)).json().paidMinor).toBe(10);
    // The manager may change and delete.
    expect((await api(manager, 'PATCH', `/deals/${deal.id}`, { stage: 'won' })).statusCode).toBe(200);
    expect((await api(manager, 'DELETE', `/feedback/${feedback.id}`)).statusCode).toBe(204);
  });
});

// ---- isolation -------------------------------------------------------------------------------

describe('cross-organization isolation', () => {
  it("org B cannot see, change or delete org A's business records, nor use A's clients", async () => {
    const contract = await created(
      await api(A, 'POST', '/contracts', {
        clientId: clientA,
        name: 'Secret',
        amountMinor: 999,
        billingInterval: 'month',
        startDate: '2024-01-01',
      }),
    );
    const invoice = await created(await newInvoice(A, clientA));
    const payment = await created(
      await api(A, 'POST', `/invoices/${invoice.id}/payments`, { paidOn: '2025-01-02', amountMinor: 5 }),
    );
    const deal = await created(await api(A, 'POST', '/deals', { title: 'Secret deal', amountMinor: 123 }));
    const feedback = await created(await api(A, 'POST', '/feedback', { clientId: clientA, score: 1 }));

    const targets: [string, unknown][] = [
      [`/contracts/${contract.id}`, { name: 'Stolen' }],
      [`/invoices/${invoice.id}`, { amountMinor: 1 }],
      [`/deals/${deal.id}`, { title: 'Stolen' }],
      [`/feedback/${feedback.id}`, { score: 5 }],
    ];
    for (const [url, patch] of targets) {
      expectProblem(await api(B, 'GET', url), 404, 'not-found');
      expectProblem(await api(B, 'PATCH', url, patch), 404, 'not-found');
      expectProblem(await api(B, 'DELETE', url), 404, 'not-found');
    }
    const paymentsUrl = `/invoices/${invoice.id}/payments`;
    expectProblem(await api(B, 'GET', paymentsUrl), 404, 'not-found');
    expectProblem(
      await api(B, 'POST', paymentsUrl, { paidOn: '2025-01-02', amountMinor: 1 }),
      404,
      'not-found',
    );
    expectProblem(await api(B, 'GET', `${paymentsUrl}/${payment.id}`), 404, 'not-found');
    expectProblem(await api(B, 'DELETE', `${paymentsUrl}/${payment.id}`), 404, 'not-found');

    // Lists and the pipeline show none of A's records.
    for (const url of ['/contracts', '/invoices', '/deals', '/feedback']) {
      const ids = (await api(B, 'GET', `${url}?limit=200`)).json().items.map((x: { id: string }) => x.id);
      expect(ids).not.toContain(contract.id);
      expect(ids).not.toContain(invoice.id);
      expect(ids).not.toContain(deal.id);
      expect(ids).not.toContain(feedback.id);
    }
    const pipe = (await api(B, 'GET', '/deals/pipeline')).json();
    expect(pipe.stages.find((s: { stage: string }) => s.stage === 'lead').amountMinor).not.toBe(123);

    // A's client and project are unknown in B.
    for (const [path, body] of [
      [
        '/contracts',
        { clientId: clientA, name: 'x', amountMinor: 1, billingInterval: 'month', startDate: '2024-01-01' },
      ],
      [
        '/invoices',
        {
          clientId: clientA,
          number: nextNumber(),
          issuedOn: '2024-01-01',
          dueOn: '2024-01-02',
          amountMinor: 1,
        },
      ],
      ['/deals', { title: 'x', clientId: clientA }],
      ['/feedback', { clientId: clientA, score: 3 }],
    ] as [string, unknown][]) {
      expectFieldError(await api(B, 'POST', path, body), 'clientId', 'exists');
    }
    expectFieldError(
      await api(B, 'POST', '/feedback', { projectId: projectA, score: 3 }),
      'projectId',
      'exists',
    );
    expectFieldError(await api(B, 'POST', '/deals', { title: 'x', ownerId: A.userId }), 'ownerId', 'member');

    // Everything of A is intact.
    expect((await api(A, 'GET', `/contracts/${contract.id}`)).json()).toEqual(contract);
    expect((await api(A, 'GET', `/invoices/${invoice.id}`)).json().paidMinor).toBe(5);
    expect((await api(A, 'GET', `/deals/${deal.id}`)).json()).toEqual(deal);
    expect((await api(A, 'GET', `/feedback/${feedback.id}`)).json()).toEqual(feedback);
  });
});

// ---- audit -----------------------------------------------------------------------------------

describe('audit', () => {
  it('records every write with its diff', async () => {
    const c = await created(
      await api(A, 'POST', '/contracts', {
        clientId: clientA,
        name: 'Audited',
        amountMinor: 1200,
        billingInterval: 'year',
        startDate: '2099-01-01',
      }),
    );
    await api(A, 'PATCH', `/contracts/${c.id}`, { amountMinor: 2400, endDate: '2099-12-31' });
    await api(A, 'DELETE', `/contracts/${c.id}`);
    const res = await api(A, 'GET', `/audit/search?resource_type=contract&resource_id=${c.id}`);
    expect(res.statusCode, res.body).toBe(200);
    const events = res.json().items as {
      action: string;
      actor: { id: string };
      changes: Record<string, { before: unknown; after: unknown }>;
    }[];
    const byAction = Object.fromEntries(events.map((e) => [e.action, e]));
    expect(Object.keys(byAction).sort()).toEqual(['contract.create', 'contract.delete', 'contract.update']);
    expect(byAction['contract.create']!.actor.id).toBe(A.userId);
    expect(byAction['contract.create']!.changes.amount_minor).toEqual({ before: null, after: 1200 });
    expect(byAction['contract.update']!.changes).toEqual({
      amount_minor: { before: 1200, after: 2400 },
      end_date: { before: null, after: '2099-12-31' },
    });
    expect(byAction['contract.delete']!.changes.amount_minor).toEqual({ before: 2400, after: null });

    const inv = await created(await newInvoice(A, clientA));
    const pay = await created(
      await api(A, 'POST', `/invoices/${inv.id}/payments`, { paidOn: '2025-01-02', amountMinor: 300 }),
    );
    const payEvents = (
      await api(A, 'GET', `/audit/search?resource_type=payment&resource_id=${pay.id}`)
    ).json().items;
    expect(payEvents).toHaveLength(1);
    expect(payEvents[0]).toMatchObject({
      action: 'payment.create',
      metadata: { invoiceId: inv.id },
      changes: { amount_minor: { before: null, after: 300 } },
    });
    const f = await created(await api(A, 'POST', '/feedback', { clientId: clientA, score: 2 }));
    await api(A, 'PATCH', `/feedback/${f.id}`, { score: 4 });
    const fEvents = (await api(A, 'GET', `/audit/search?resource_type=feedback&resource_id=${f.id}`)).json()
      .items;
    expect(fEvents.find((e: { action: string }) => e.action === 'feedback.update').changes).toEqual({
      score: { before: 2, after: 4 },
    });
    const iEvents = (await api(A, 'GET', `/audit/search?resource_type=invoice&resource_id=${inv.id}`)).json()
      .items;
    expect(iEvents.map((e: { action: string }) => e.action)).toEqual(['invoice.create']);
  });

  it('writes no event and no row for a no-op update', async () => {
    const d = await created(await api(A, 'POST', '/deals', { title: 'Same' }));
    const events = await auditCount(A.orgId);
    const res = await api(A, 'PATCH', `/deals/${d.id}`, { title: 'Same', stage: 'lead' });
    expect(res.json().version).toBe(1);
    expect(await auditCount(A.orgId)).toBe(events);
  });
});

// ---- database refusals -----------------------------------------------------------------------

describe('database refusals the services cannot pre-check (a row deleted meanwhile)', () => {
  it('name the field a broken reference or a duplicate number came from', () => {
    const fieldOf = (err: object) => {
      try {
        translateDbError(err);
      } catch (e) {
        expect(e).toBeInstanceOf(AppError);
        return [(e as AppError).code, (e as AppError).errors?.[0]?.field];
      }
      throw new Error('not thrown');
    };
    expect(fieldOf({ code: '23503', constraint: 'feedback_org_id_project_id_fkey' })).toEqual([
      'validation-failed',
      'projectId',
    ]);
    expect(fieldOf({ code: '23503', constraint: 'contracts_org_id_client_id_fkey' })).toEqual([
      'validation-failed',
      'clientId',
    ]);
    expect(fieldOf({ code: '23503', constraint: 'deals_org_id_owner_id_fkey' })).toEqual([
      'validation-failed',
      'ownerId',
    ]);
    expect(fieldOf({ code: '23505', constraint: 'invoices_org_id_number_key' })).toEqual([
      'conflict',
      'number',
    ]);
    const other = new Error('boom');
    expect(() => translateDbError(other)).toThrow(other);
  });
});

// ---- financial history (issue 14, items 15, 17, 18) ---------------------------------------------

describe('financial history stays written', () => {
  // The organizations below keep their books in UTC: "today" is the UTC date.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  let C: Session;

  beforeAll(async () => {
    C = await signUp(t, { orgName: 'Org History' });
  });

  const newClient = async (status: string) =>
    (await created(await api(C, 'POST', '/clients', { name: `Client ${status}`, status }))).id as string;
  const newContract = (
    clientId: string,
    amountMinor: number,
    billingInterval: string,
    startDate: string,
    endDate: string | null = null,
  ) =>
    api(C, 'POST', '/contracts', {
      clientId,
      name: 'Plan',
      amountMinor,
      billingInterval,
      startDate,
      endDate,
    }).then(created);

  it('bills quarterly contracts, a third of the amount a month rounded half away from zero', async () => {
    const k = await newClient('active');
    const values = [];
    for (const [amount, interval] of [
      [100, 'quarter'], // 33.33 → 33
      [101, 'quarter'], // 33.67 → 34
      [3, 'quarter'], // 1
      [120_006, 'year'], // 10000.5 → 10001
      [6, 'year'], // 0.5 → 1
      [5, 'year'], // 0.42 → 0
      [7, 'month'],
    ] as const) {
      values.push((await newContract(k, amount, interval, '2099-01-01')).monthlyValueMinor);
    }
    expect(values).toEqual([33, 34, 1, 10_001, 1, 0, 7]);
    const quarterly = (await api(C, 'GET', `/contracts?clientId=${k}&billingInterval=quarter`)).json();
    expect(quarterly.items).toHaveLength(3);
  });

  it('refuses to delete a contract that has counted in past MRR; one starting today may go', async () => {
    const k = await newClient('active');
    const started = await newContract(k, 1000, 'month', day(-1));
    const body = expectProblem(await api(C, 'DELETE', `/contracts/${started.id}`), 409, 'financial-history');
    expect(body.detail).toContain('End it instead');
    expect(body.startDate).toBe(day(-1));
    expect((await api(C, 'GET', `/contracts/${started.id}`)).statusCode).toBe(200);
    // Ending it is the way: its last billed day.
    const ended = await api(C, 'PATCH', `/contracts/${started.id}`, { endDate: day(-1) });
    expect(ended.statusCode, ended.body).toBe(200);

    const today = await newContract(k, 1000, 'month', day(0));
    expect((await api(C, 'DELETE', `/contracts/${today.id}`)).statusCode).toBe(204);
  });

  it('refuses payments dated after today, naming paidOn; today is fine', async () => {
    const k = await newClient('active');
    const inv = await created(
      await api(C, 'POST', '/invoices', {
        clientId: k,
        number: 'H-1',
        issuedOn: day(-10),
        dueOn: day(20),
        amountMinor: 1000,
      }),
    );
    await nothingStoredIn(C, 'payments', async () => {
      expectFieldError(
        await api(C, 'POST', `/invoices/${inv.id}/payments`, { paidOn: day(1), amountMinor: 100 }),
        'paidOn',
        'notInFuture',
      );
    });
    const paid = await api(C, 'POST', `/invoices/${inv.id}/payments`, { paidOn: day(0), amountMinor: 100 });
    expect(paid.statusCode, paid.body).toBe(201);
  });

  it('refuses to delete a client with contracts, invoices or feedback; archives it instead', async () => {
    const k = await newClient('lead');
    await created(
      await api(C, 'POST', '/invoices', {
        clientId: k,
        number: 'H-2',
        issuedOn: day(-3),
        dueOn: day(3),
        amountMinor: 500,
      }),
    );
    await created(await api(C, 'POST', '/feedback', { clientId: k, score: 5 }));
    const before = { invoices: await count('invoices', C.orgId), feedback: await count('feedback', C.orgId) };
    const body = expectProblem(await api(C, 'DELETE', `/clients/${k}`), 409, 'financial-history');
    expect(body).toMatchObject({ contracts: 0, invoices: 1, feedback: 1 });
    expect(body.detail).toContain('Archive it instead');
    expect(await count('invoices', C.orgId)).toBe(before.invoices);
    expect(await count('feedback', C.orgId)).toBe(before.feedback);
    // The database refuses as well: no cascade takes the history with the client.
    await expect(
      t.owner('DELETE FROM clients WHERE org_id = $1 AND id = $2', [C.orgId, k]),
    ).rejects.toMatchObject({ code: '23503' });

    const archived = await api(C, 'PATCH', `/clients/${k}`, { archived: true });
    expect(archived.statusCode, archived.body).toBe(200);
    expect(archived.json().archivedAt).toEqual(expect.any(String));
    const listed = (await api(C, 'GET', '/clients?limit=100')).json().items.map((c: { id: string }) => c.id);
    expect(listed).not.toContain(k);
    const onlyArchived = (await api(C, 'GET', '/clients?archived=true')).json().items;
    expect(onlyArchived.map((c: { id: string }) => c.id)).toEqual([k]);
    // An archived client does not become active until it is brought back.
    expectFieldError(
      await api(C, 'PATCH', `/clients/${k}`, { status: 'active' }),
      'status',
      'archivedNotActive',
      409,
    );
    const back = await api(C, 'PATCH', `/clients/${k}`, { archived: false, status: 'active' });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ status: 'active', archivedAt: null });
    expectFieldError(
      await api(C, 'PATCH', `/clients/${k}`, { archived: true }),
      'archived',
      'archivedNotActive',
      409,
    );

    // A client without financial records may still be deleted.
    const empty = await newClient('lead');
    expect((await api(C, 'DELETE', `/clients/${empty}`)).statusCode).toBe(204);
  });

  it('churning a client ends its running contracts the day before, so MRR drops on the churn day', async () => {
    C = await signUp(t, { orgName: 'Org Churn' }); // its own MRR, nothing else in it
    const k = await newClient('active');
    const monthly = await newContract(k, 1000, 'month', '2025-01-01'); // 1000
    const yearly = await newContract(k, 12_006, 'year', '2024-06-01', '2099-12-31'); // 1000.5 → 1001
    const quarterly = await newContract(k, 3_001, 'quarter', '2025-01-01'); // 1000.33 → 1000
    const ended = await newContract(k, 500, 'month', '2024-01-01', '2024-12-31');
    const future = await newContract(k, 700, 'month', day(1));

    // A contract not started yet has nothing to end: the churn asks for it to go first.
    const refused = expectFieldError(
      await api(C, 'PATCH', `/clients/${k}`, { status: 'churned' }),
      'status',
      'noFutureContracts',
      409,
    );
    expect(refused.contracts).toEqual([{ id: future.id, startDate: day(1) }]);
    expect((await api(C, 'GET', `/clients/${k}`)).json().status).toBe('active');
    expect((await api(C, 'GET', `/contracts/${monthly.id}`)).json().endDate).toBeNull();
    expect((await api(C, 'DELETE', `/contracts/${future.id}`)).statusCode).toBe(204);

    // The MRR of yesterday, by hand: 1000 + 1001 + 1000.
    const mrrYesterday = 3001;
    const churn = await api(C, 'PATCH', `/clients/${k}`, { status: 'churned' });
    expect(churn.statusCode, churn.body).toBe(200);
    for (const c of [monthly, yearly, quarterly]) {
      expect((await api(C, 'GET', `/contracts/${c.id}`)).json().endDate).toBe(day(-1));
    }
    expect((await api(C, 'GET', `/contracts/${ended.id}`)).json().endDate).toBe('2024-12-31');

    // The contracts list and MRR agree, yesterday and today.
    const listed = (await api(C, 'GET', `/contracts?activeOn=${day(-1)}&limit=100`)).json().items as {
      monthlyValueMinor: number;
    }[];
    expect(listed.reduce((n, c) => n + c.monthlyValueMinor, 0)).toBe(mrrYesterday);
    const trend = (await api(C, 'GET', '/executive/trends?metric=mrr&days=2')).json();
    expect(trend.series[0].points.map((p: { value: number }) => p.value)).toEqual([mrrYesterday, 0]);
    expect((await api(C, 'GET', '/executive/metrics')).json().money[0].mrrMinor).toBe(0);
    const churned = (await api(C, 'GET', '/executive/trends?metric=churned_clients&days=1')).json();
    expect(churned.series[0].points[0].value).toBe(1);

    const events = (
      await api(C, 'GET', `/audit/search?resource_type=contract&resource_id=${monthly.id}`)
    ).json().items as { action: string; metadata: unknown; changes: unknown }[];
    expect(events.find((e) => e.action === 'contract.update')).toMatchObject({
      metadata: { reason: 'client.churn', clientId: k },
      changes: { end_date: { before: null, after: day(-1) } },
    });
  });
});

/** Asserts `attempt` leaves the table of the session's organization as it was. */
async function nothingStoredIn(s: Session, table: string, attempt: () => Promise<void>) {
  const rows = await count(table, s.orgId);
  await attempt();
  expect(await count(table, s.orgId)).toBe(rows);
}
