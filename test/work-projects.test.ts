// Work management, projects (issue 3, items 2, 4, 5, 9): the status transition table with who may
// make which move, completedAt, budget in the organization's currency, dates, client/owner/department
// references, milestones, expenses with spent and remaining, progress from tasks or overridden,
// filtered/searched/sorted lists, If-Match, permissions and audit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHelpers } from './support/api-helpers.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let admin: Session; // org_admin of A (USD)
let manager: Session;
let developer: Session;
let viewer: Session;
let user: Session;
let analyst: Session;
let other: Session; // org_admin of B
let clientA: string;
let clientB: string;
let departmentA: string;
let departmentB: string;

const {
  api,
  rowOf,
  countOf,
  auditTrail: auditOf,
} = apiHelpers(
  () => t,
  () => admin,
);

async function createProject(s: Session, payload: Record<string, unknown>) {
  const res = await api(s, 'POST', '/projects', payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function getProject(id: string) {
  const res = await api(viewer, 'GET', `/projects/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Projects A' });
  await t.owner("UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1", [admin.orgId]);
  manager = await addMember(t, admin, 'manager');
  developer = await addMember(t, admin, 'developer');
  viewer = await addMember(t, admin, 'viewer');
  user = await addMember(t, admin, 'user');
  analyst = await addMember(t, admin, 'analyst');
  other = await signUp(t, { orgName: 'Projects B' });
  clientA = (await api(admin, 'POST', '/clients', { name: 'Client A' })).json().id;
  clientB = (await api(other, 'POST', '/clients', { name: 'Client B' })).json().id;
  departmentA = (await api(admin, 'POST', '/departments', { name: 'Delivery' })).json().id;
  departmentB = (await api(other, 'POST', '/departments', { name: 'Delivery B' })).json().id;
  expect([clientA, clientB, departmentA, departmentB].every(Boolean)).toBe(true);
});

afterAll(async () => {
  await t?.close();
});

// ---- CRUD ---------------------------------------------------------------------------------------

describe('projects: create, read, update, delete', () => {
  it('creates a project in planning with the organization currency, figures and version 1', async () => {
    const p = await createProject(manager, {
      name: 'Website relaunch',
      description: '# Goals\n- faster',
      clientId: clientA,
      ownerId: manager.userId,
      departmentId: departmentA,
      tags: ['web', 'q3'],
      budgetMinor: 1_500_000,
      startDate: '2025-01-01',
      dueDate: '2025-03-31',
    });
    expect(p).toMatchObject({
      name: 'Website relaunch',
      description: '# Goals\n- faster',
      status: 'planning',
      clientId: clientA,
      ownerId: manager.userId,
      departmentId: departmentA,
      tags: ['web', 'q3'],
      budgetMinor: 1_500_000,
      currency: 'USD',
      spentMinor: 0,
      remainingMinor: 1_500_000,
      startDate: '2025-01-01',
      dueDate: '2025-03-31',
      progress: 0,
      progressOverride: null,
      taskCounts: { total: 0, pending: 0, active: 0, completed: 0, cancelled: 0 },
      completedAt: null,
      version: 1,
    });
    const got = await api(viewer, 'GET', `/projects/${p.id}`);
    expect(got.json()).toEqual(p);
    expect(got.headers.etag).toBe('"1"');
  });

  it('creates a project directly active, but not completed (400 naming status)', async () => {
    expect((await createProject(manager, { name: 'Running', status: 'active' })).status).toBe('active');
    const n = await countOf('projects');
    expectFieldError(
      await api(manager, 'POST', '/projects', { name: 'Done', status: 'completed' }),
      'status',
    );
    expect(await countOf('projects')).toBe(n);
  });

  it('updates fields and bumps the version; clears nullable fields with null', async () => {
    const p = await createProject(manager, { name: 'Mutable', budgetMinor: 100, clientId: clientA });
    const res = await api(manager, 'PATCH', `/projects/${p.id}`, {
      name: 'Mutable 2',
      budgetMinor: null,
      clientId: null,
      tags: ['changed'],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Mutable 2',
      budgetMinor: null,
      remainingMinor: null,
      clientId: null,
      tags: ['changed'],
      version: 2,
    });
  });

  it('deletes a project with its tasks, milestones and expenses', async () => {
    const p = await createProject(manager, { name: 'Doomed', budgetMinor: 1000 });
    const task = await api(manager, 'POST', '/tasks', { projectId: p.id, title: 'Doomed task' });
    expect(task.statusCode, task.body).toBe(201);
    expect((await api(manager, 'POST', `/projects/${p.id}/milestones`, { name: 'M' })).statusCode).toBe(201);
    expect(
      (
        await api(manager, 'POST', `/projects/${p.id}/expenses`, {
          spentOn: '2025-01-02',
          amountMinor: 10,
          category: 'x',
        })
      ).statusCode,
    ).toBe(201);
    expect((await api(manager, 'DELETE', `/projects/${p.id}`)).statusCode).toBe(204);
    expectProblem(await api(manager, 'GET', `/projects/${p.id}`), 404, 'not-found');
    expect(await countOf('tasks', 'project_id = $2', [p.id])).toBe(0);
    expect(await countOf('project_milestones', 'project_id = $2', [p.id])).toBe(0);
    expect(await countOf('project_expenses', 'project_id = $2', [p.id])).toBe(0);
    expectProblem(await api(manager, 'GET', `/tasks/${task.json().id}`), 404, 'not-found');
  });
});

// ---- transition table ------------------------------------------------------------------------------

const STATUSES = ['planning', 'active', 'on_hold', 'completed', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];

/** The documented table: allowed moves, and the ones that need projects:reopen. */
const ALLOWED: Record<Status, Status[]> = {
  planning: ['active', 'on_hold', 'cancelled'],
  active: ['on_hold', 'completed', 'cancelled'],
  on_hold: ['active', 'cancelled'],
  completed: ['active'],
  cancelled: ['planning'],
};
const REOPEN: [Status, Status][] = [
  ['completed', 'active'],
  ['cancelled', 'planning'],
];

/** A fresh project in `status`, reached by allowed moves as org_admin. */
async function projectIn(status: Status, name = `In ${status}`) {
  const p = await createProject(admin, { name, status: status === 'planning' ? 'planning' : 'active' });
  if (status === 'planning' || status === 'active') return p;
  const res = await api(admin, 'PATCH', `/projects/${p.id}`, { status });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('projects: the transition table', () => {
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      if (from === to) continue;
      const allowed = ALLOWED[from].includes(to);
      const reopen = REOPEN.some(([f, x]) => f === from && x === to);
      const label = allowed
        ? reopen
          ? 'needs projects:reopen: manager 403, org_admin 200'
          : 'is allowed for a manager'
        : 'is refused with 409 naming the allowed moves';
      it(`${from} → ${to} ${label}`, async () => {
        const p = await projectIn(from);
        const row = await rowOf('projects', p.id);
        const res = await api(manager, 'PATCH', `/projects/${p.id}`, { status: to });
        if (!allowed) {
          const body = expectProblem(res, 409, 'invalid-transition');
          expect(body.allowedMoves).toEqual(ALLOWED[from]);
          expect(body.from).toBe(from);
          expect(body.to).toBe(to);
          expect(await rowOf('projects', p.id)).toBe(row);
          // Not even org_admin may make it.
          expectProblem(
            await api(admin, 'PATCH', `/projects/${p.id}`, { status: to }),
            409,
            'invalid-transition',
          );
          expect(await rowOf('projects', p.id)).toBe(row);
          return;
        }
        let moved = res;
        if (reopen) {
          const body = expectProblem(res, 403, 'forbidden');
          expect(body.permission).toBe('projects:reopen');
          expect(await rowOf('projects', p.id)).toBe(row);
          moved = await api(admin, 'PATCH', `/projects/${p.id}`, { status: to });
        }
        expect(moved.statusCode, moved.body).toBe(200);
        const after = moved.json();
        expect(after.status).toBe(to);
        expect(after.version).toBe(p.version + 1);
        // completedAt follows the status.
        if (to === 'completed') expect(Date.parse(after.completedAt)).not.toBeNaN();
        else expect(after.completedAt).toBeNull();
        const stored = await t.owner<{ status: string; completed_at: Date | null }>(
          'SELECT status, completed_at FROM projects WHERE id = $1',
          [p.id],
        );
        expect(stored.rows[0]!.status).toBe(to);
        expect(stored.rows[0]!.completed_at === null).toBe(to !== 'completed');
      });
    }
  }

  it('sets completedAt on completion and clears it when reopened (completed → active)', async () => {
    const p = await projectIn('active', 'Complete and reopen');
    const before = Date.now();
    const done = (await api(manager, 'PATCH', `/projects/${p.id}`, { status: 'completed' })).json();
    expect(Date.parse(done.completedAt)).toBeGreaterThanOrEqual(before - 5000);
    const reopened = await api(admin, 'PATCH', `/projects/${p.id}`, { status: 'active' });
    expect(reopened.json()).toMatchObject({ status: 'active', completedAt: null });
    const again = (await api(manager, 'PATCH', `/projects/${p.id}`, { status: 'completed' })).json();
    expect(again.completedAt).toBeTruthy();
  });

  it('treats the same status as no move (200, no new version)', async () => {
    const p = await projectIn('completed', 'Same status');
    const res = await api(manager, 'PATCH', `/projects/${p.id}`, { status: 'completed' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().version).toBe(p.version);
  });

  it('changes nothing when a refused move comes with other fields', async () => {
    const p = await projectIn('on_hold', 'Mixed body');
    const row = await rowOf('projects', p.id);
    expectProblem(
      await api(manager, 'PATCH', `/projects/${p.id}`, { status: 'completed', name: 'Renamed' }),
      409,
      'invalid-transition',
    );
    expect(await rowOf('projects', p.id)).toBe(row);
  });
});

// ---- budget, dates and references -----------------------------------------------------------------

describe('projects: budget, dates and references', () => {
  it('refuses a budget in a currency that is not the organization’s (400 naming currency), storing nothing', async () => {
    const n = await countOf('projects');
    expectFieldError(
      await api(manager, 'POST', '/projects', { name: 'Euro', budgetMinor: 100, currency: 'EUR' }),
      'currency',
      'organizationCurrency',
    );
    expectFieldError(
      await api(manager, 'POST', '/projects', { name: 'Fake', budgetMinor: 100, currency: 'XYZ' }),
      'currency',
      'currency',
    );
    expectFieldError(await api(manager, 'POST', '/projects', { name: 'Lower', currency: 'usd' }), 'currency');
    expect(await countOf('projects')).toBe(n);
    const p = await createProject(manager, { name: 'Dollar', budgetMinor: 100, currency: 'USD' });
    const row = await rowOf('projects', p.id);
    expectFieldError(await api(manager, 'PATCH', `/projects/${p.id}`, { currency: 'EUR' }), 'currency');
    expect(await rowOf('projects', p.id)).toBe(row);
  });

  it('follows the organization’s currency: an EUR organization refuses USD and defaults to EUR', async () => {
    const set = await api(other, 'PATCH', '/organization', { currency: 'EUR' });
    expect(set.statusCode, set.body).toBe(200);
    const p = await api(other, 'POST', '/projects', { name: 'Euro project', budgetMinor: 5000 });
    expect(p.statusCode, p.body).toBe(201);
    expect(p.json().currency).toBe('EUR');
    expectFieldError(
      await api(other, 'POST', '/projects', { name: 'Dollar project', budgetMinor: 5000, currency: 'USD' }),
      'currency',
      'organizationCurrency',
    );
    const expense = await api(other, 'POST', `/projects/${p.json().id}/expenses`, {
      spentOn: '2025-01-01',
      amountMinor: 100,
      category: 'travel',
      currency: 'USD',
    });
    expectFieldError(expense, 'currency');
  });

  // Regression: spentMinor adds expenses to the budget, so a project with expenses keeps its currency.
  it('refuses switching the currency of a project whose expenses are in the old one', async () => {
    const org = await signUp(t, { orgName: 'Currency switch' });
    const p = (await api(org, 'POST', '/projects', { name: 'Dollars', budgetMinor: 1000 })).json();
    const e = await api(org, 'POST', `/projects/${p.id}/expenses`, {
      spentOn: '2025-01-01',
      amountMinor: 5,
      category: 'x',
    });
    expect(e.statusCode).toBe(201);
    expect((await api(org, 'PATCH', '/organization', { currency: 'EUR' })).statusCode).toBe(200);
    const row = await rowOf('projects', p.id);
    const res = await api(org, 'PATCH', `/projects/${p.id}`, { currency: 'EUR' });
    expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(await rowOf('projects', p.id)).toBe(row);
  });

  it('refuses a negative or fractional budget and a progressOverride outside 0–100 (400 naming the field)', async () => {
    const n = await countOf('projects');
    expectFieldError(
      await api(manager, 'POST', '/projects', { name: 'Neg', budgetMinor: -1 }),
      'budgetMinor',
    );
    expectFieldError(
      await api(manager, 'POST', '/projects', { name: 'Frac', budgetMinor: 10.5 }),
      'budgetMinor',
    );
    expectFieldError(
      await api(manager, 'POST', '/projects', { name: 'Over', progressOverride: 101 }),
      'progressOverride',
    );
    expect(await countOf('projects')).toBe(n);
    const p = await createProject(manager, { name: 'Budgeted', budgetMinor: 500 });
    const row = await rowOf('projects', p.id);
    expectFieldError(await api(manager, 'PATCH', `/projects/${p.id}`, { budgetMinor: -500 }), 'budgetMinor');
    expectFieldError(
      await api(manager, 'PATCH', `/projects/${p.id}`, { progressOverride: -1 }),
      'progressOverride',
    );
    expect(await rowOf('projects', p.id)).toBe(row);
  });

  it('refuses a due date before the start (400 naming dueDate), also when a PATCH moves only one date', async () => {
    const n = await countOf('projects');
    expectFieldError(
      await api(manager, 'POST', '/projects', {
        name: 'Backwards',
        startDate: '2025-05-10',
        dueDate: '2025-05-09',
      }),
      'dueDate',
      'notBeforeStart',
    );
    expect(await countOf('projects')).toBe(n);
    const p = await createProject(manager, { name: 'Dated', startDate: '2025-05-01', dueDate: '2025-05-31' });
    const row = await rowOf('projects', p.id);
    expectFieldError(
      await api(manager, 'PATCH', `/projects/${p.id}`, { startDate: '2025-06-01' }),
      'dueDate',
    );
    expectFieldError(await api(manager, 'PATCH', `/projects/${p.id}`, { dueDate: '2025-04-30' }), 'dueDate');
    expect(await rowOf('projects', p.id)).toBe(row);
    // Same-day is fine; so is moving both dates together, or clearing one.
    expect((await api(manager, 'PATCH', `/projects/${p.id}`, { dueDate: '2025-05-01' })).statusCode).toBe(
      200,
    );
    const both = await api(manager, 'PATCH', `/projects/${p.id}`, {
      startDate: '2025-07-01',
      dueDate: '2025-07-02',
    });
    expect(both.statusCode, both.body).toBe(200);
    const cleared = await api(manager, 'PATCH', `/projects/${p.id}`, { startDate: null });
    expect(cleared.json()).toMatchObject({ startDate: null, dueDate: '2025-07-02' });
    expectFieldError(
      await api(manager, 'POST', '/projects', { name: 'Bad date', dueDate: '2025-02-30' }),
      'dueDate',
    );
  });

  it('refuses a client, owner or department of another organization (400 naming the field)', async () => {
    const n = await countOf('projects');
    const cases: [Record<string, unknown>, string][] = [
      [{ clientId: clientB }, 'clientId'],
      [{ clientId: '0190a5b4-0000-7000-8000-0000000000c1' }, 'clientId'],
      [{ ownerId: other.userId }, 'ownerId'],
      [{ departmentId: departmentB }, 'departmentId'],
      [{ departmentId: '0190a5b4-0000-7000-8000-0000000000d1' }, 'departmentId'],
    ];
    for (const [extra, field] of cases) {
      expectFieldError(await api(manager, 'POST', '/projects', { name: 'Cross', ...extra }), field);
    }
    expect(await countOf('projects')).toBe(n);
    const p = await createProject(manager, {
      name: 'Referenced',
      clientId: clientA,
      departmentId: departmentA,
    });
    const row = await rowOf('projects', p.id);
    for (const [extra, field] of cases) {
      expectFieldError(await api(manager, 'PATCH', `/projects/${p.id}`, extra), field);
    }
    expect(await rowOf('projects', p.id)).toBe(row);
    expect((await auditOf('project', p.id)).map((e) => e.action)).toEqual(['project.create']);
  });
});

// ---- milestones -----------------------------------------------------------------------------------

describe('projects: milestones', () => {
  it('adds, lists by due date, marks done and undone, renames and deletes milestones', async () => {
    const p = await createProject(manager, { name: 'Milestoned' });
    const late = await api(manager, 'POST', `/projects/${p.id}/milestones`, {
      name: 'Launch',
      dueDate: '2025-09-01',
    });
    expect(late.statusCode, late.body).toBe(201);
    expect(late.json()).toMatchObject({
      projectId: p.id,
      name: 'Launch',
      dueDate: '2025-09-01',
      done: false,
      doneAt: null,
      version: 1,
    });
    const early = (
      await api(manager, 'POST', `/projects/${p.id}/milestones`, {
        name: 'Design',
        dueDate: '2025-06-01',
        done: true,
      })
    ).json();
    expect(early.done).toBe(true);
    expect(early.doneAt).toBeTruthy();
    const undated = (await api(manager, 'POST', `/projects/${p.id}/milestones`, { name: 'Someday' })).json();

    const list = await api(viewer, 'GET', `/projects/${p.id}/milestones`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((m: { name: string }) => m.name)).toEqual(['Design', 'Launch', 'Someday']);

    const done = await api(manager, 'PATCH', `/projects/${p.id}/milestones/${late.json().id}`, {
      done: true,
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ done: true, name: 'Launch', dueDate: '2025-09-01' });
    const doneAt = done.json().doneAt;
    expect(doneAt).toBeTruthy();
    // Marking done again keeps the first doneAt.
    const again = await api(manager, 'PATCH', `/projects/${p.id}/milestones/${late.json().id}`, {
      done: true,
    });
    expect(again.json().doneAt).toBe(doneAt);
    const undone = await api(manager, 'PATCH', `/projects/${p.id}/milestones/${late.json().id}`, {
      done: false,
    });
    expect(undone.json()).toMatchObject({ done: false, doneAt: null });

    const renamed = await api(manager, 'PATCH', `/projects/${p.id}/milestones/${undated.id}`, {
      name: 'Eventually',
      dueDate: '2026-01-01',
    });
    expect(renamed.json()).toMatchObject({ name: 'Eventually', dueDate: '2026-01-01', done: false });
    const undate = await api(manager, 'PATCH', `/projects/${p.id}/milestones/${undated.id}`, {
      dueDate: null,
    });
    expect(undate.json()).toMatchObject({ name: 'Eventually', dueDate: null });

    expect((await api(manager, 'DELETE', `/projects/${p.id}/milestones/${early.id}`)).statusCode).toBe(204);
    expect((await api(viewer, 'GET', `/projects/${p.id}/milestones`)).json().items).toHaveLength(2);
    expectProblem(await api(manager, 'DELETE', `/projects/${p.id}/milestones/${early.id}`), 404, 'not-found');
  });

  it('refuses bad milestones (400) and a milestone reached through another project (404)', async () => {
    const p = await createProject(manager, { name: 'Milestone rules' });
    const q = await createProject(manager, { name: 'Other project' });
    const n = await countOf('project_milestones');
    expectFieldError(await api(manager, 'POST', `/projects/${p.id}/milestones`, { name: '' }), 'name');
    expectFieldError(
      await api(manager, 'POST', `/projects/${p.id}/milestones`, { name: 'x', dueDate: 'soon' }),
      'dueDate',
    );
    expectFieldError(
      await api(manager, 'POST', `/projects/${p.id}/milestones`, { name: 'x', done: 'yes' }),
      'done',
    );
    expect(await countOf('project_milestones')).toBe(n);
    const m = (await api(manager, 'POST', `/projects/${p.id}/milestones`, { name: 'Mine' })).json();
    const row = await rowOf('project_milestones', m.id);
    expectProblem(
      await api(manager, 'PATCH', `/projects/${q.id}/milestones/${m.id}`, { name: 'Stolen' }),
      404,
      'not-found',
    );
    expectProblem(await api(manager, 'DELETE', `/projects/${q.id}/milestones/${m.id}`), 404, 'not-found');
    expect(await rowOf('project_milestones', m.id)).toBe(row);
    expectProblem(
      await api(manager, 'POST', '/projects/0190a5b4-0000-7000-8000-0000000000e1/milestones', { name: 'x' }),
      404,
      'not-found',
    );
  });
});

// ---- expenses ---------------------------------------------------------------------------------------

describe('projects: expenses, spent and remaining', () => {
  it('adds expenses and reports spent and remaining against the budget (negative when over)', async () => {
    const p = await createProject(manager, { name: 'Spending', budgetMinor: 100_000 });
    const a = await api(manager, 'POST', `/projects/${p.id}/expenses`, {
      spentOn: '2025-02-01',
      amountMinor: 30_000,
      category: 'hosting',
      note: 'annual plan',
    });
    expect(a.statusCode, a.body).toBe(201);
    expect(a.json()).toMatchObject({
      projectId: p.id,
      spentOn: '2025-02-01',
      amountMinor: 30_000,
      currency: 'USD',
      category: 'hosting',
      note: 'annual plan',
      createdBy: manager.userId,
      version: 1,
    });
    const b = (
      await api(manager, 'POST', `/projects/${p.id}/expenses`, {
        spentOn: '2025-03-01',
        amountMinor: 25_050,
        category: 'travel',
        currency: 'USD',
      })
    ).json();
    expect(await getProject(p.id)).toMatchObject({ spentMinor: 55_050, remainingMinor: 44_950 });

    const list = await api(viewer, 'GET', `/projects/${p.id}/expenses`);
    expect(list.json().items.map((e: { id: string }) => e.id)).toEqual([b.id, a.json().id]);

    const upd = await api(manager, 'PATCH', `/projects/${p.id}/expenses/${b.id}`, { amountMinor: 75_050 });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json()).toMatchObject({ amountMinor: 75_050, version: 2 });
    expect(await getProject(p.id)).toMatchObject({ spentMinor: 105_050, remainingMinor: -5_050 });

    // The list carries the same figures.
    const listed = (await api(viewer, 'GET', `/projects?q=Spending`)).json().items[0];
    expect(listed).toMatchObject({ id: p.id, spentMinor: 105_050, remainingMinor: -5_050 });

    expect((await api(manager, 'DELETE', `/projects/${p.id}/expenses/${a.json().id}`)).statusCode).toBe(204);
    expect(await getProject(p.id)).toMatchObject({ spentMinor: 75_050, remainingMinor: 24_950 });

    // Without a budget there is nothing remaining to report.
    const nb = await createProject(manager, { name: 'No budget' });
    await api(manager, 'POST', `/projects/${nb.id}/expenses`, {
      spentOn: '2025-01-01',
      amountMinor: 7,
      category: 'x',
    });
    expect(await getProject(nb.id)).toMatchObject({ budgetMinor: null, spentMinor: 7, remainingMinor: null });
  });

  it('refuses zero or negative amounts and another currency (400 naming the field), storing nothing', async () => {
    const p = await createProject(manager, { name: 'Strict spending', budgetMinor: 1000 });
    const n = await countOf('project_expenses');
    const base = { spentOn: '2025-01-01', category: 'misc' };
    expectFieldError(
      await api(manager, 'POST', `/projects/${p.id}/expenses`, { ...base, amountMinor: 0 }),
      'amountMinor',
    );
    expectFieldError(
      await api(manager, 'POST', `/projects/${p.id}/expenses`, { ...base, amountMinor: -100 }),
      'amountMinor',
    );
    expectFieldError(
      await api(manager, 'POST', `/projects/${p.id}/expenses`, { ...base, amountMinor: 1.5 }),
      'amountMinor',
    );
    expectFieldError(
      await api(manager, 'POST', `/projects/${p.id}/expenses`, {
        ...base,
        amountMinor: 100,
        currency: 'EUR',
      }),
      'currency',
      'organizationCurrency',
    );
    expectFieldError(
      await api(manager, 'POST', `/projects/${p.id}/expenses`, {
        ...base,
        amountMinor: 100,
        currency: 'XYZ',
      }),
      'currency',
    );
    expectFieldError(
      await api(manager, 'POST', `/projects/${p.id}/expenses`, { spentOn: '2025-01-01', amountMinor: 100 }),
      'category',
    );
    expectFieldError(
      await api(manager, 'POST', `/projects/${p.id}/expenses`, {
        ...base,
        spentOn: '01/01/2025',
        amountMinor: 100,
      }),
      'spentOn',
    );
    expect(await countOf('project_expenses')).toBe(n);
    const e = (
      await api(manager, 'POST', `/projects/${p.id}/expenses`, { ...base, amountMinor: 100 })
    ).json();
    const row = await rowOf('project_expenses', e.id);
    expectFieldError(
      await api(manager, 'PATCH', `/projects/${p.id}/expenses/${e.id}`, { amountMinor: 0 }),
      'amountMinor',
    );
    expectFieldError(
      await api(manager, 'PATCH', `/projects/${p.id}/expenses/${e.id}`, { currency: 'EUR' }),
      'currency',
    );
    expect(await rowOf('project_expenses', e.id)).toBe(row);
    expect((await getProject(p.id)).spentMinor).toBe(100);
  });

  it('does not reach an expense through another project (404, unchanged)', async () => {
    const p = await createProject(manager, { name: 'Expense owner' });
    const q = await createProject(manager, { name: 'Expense thief' });
    const e = (
      await api(manager, 'POST', `/projects/${p.id}/expenses`, {
        spentOn: '2025-01-01',
        amountMinor: 5,
        category: 'x',
      })
    ).json();
    const row = await rowOf('project_expenses', e.id);
    expectProblem(
      await api(manager, 'PATCH', `/projects/${q.id}/expenses/${e.id}`, { amountMinor: 6 }),
      404,
      'not-found',
    );
    expectProblem(await api(manager, 'DELETE', `/projects/${q.id}/expenses/${e.id}`), 404, 'not-found');
    expect(await rowOf('project_expenses', e.id)).toBe(row);
  });
});

// ---- progress ---------------------------------------------------------------------------------------

describe('projects: progress', () => {
  it('computes progress as completed ÷ (all − cancelled), rounded down, unless overridden', async () => {
    const p = await createProject(manager, { name: 'Progressing', status: 'active' });
    expect((await getProject(p.id)).progress).toBe(0);
    const statuses = ['completed', 'completed', 'active', 'pending', 'cancelled', 'pending'];
    const taskIds: string[] = [];
    for (const [i, status] of statuses.entries()) {
      const res = await api(manager, 'POST', '/tasks', { projectId: p.id, title: `T${i}`, status });
      expect(res.statusCode, res.body).toBe(201);
      taskIds.push(res.json().id);
    }
    // 2 completed of 5 counted (6 − 1 cancelled) = 40 %.
    let got = await getProject(p.id);
    expect(got.taskCounts).toEqual({ total: 6, pending: 2, active: 1, completed: 2, cancelled: 1 });
    expect(got.progress).toBe(40);

    // One more completed: 3 of 5 = 60 %; cancelling a pending one: 3 of 4 = 75 %.
    await api(manager, 'PATCH', `/tasks/${taskIds[2]}`, { status: 'completed' });
    expect((await getProject(p.id)).progress).toBe(60);
    await api(manager, 'PATCH', `/tasks/${taskIds[3]}`, { status: 'cancelled' });
    expect((await getProject(p.id)).progress).toBe(75);
    // 3 of 3 counted... after the last pending one is also cancelled: 100 %.
    await api(manager, 'PATCH', `/tasks/${taskIds[5]}`, { status: 'cancelled' });
    expect((await getProject(p.id)).progress).toBe(100);
    // Reopening a completed task: 2 of 3 = 66 (rounded down).
    await api(manager, 'PATCH', `/tasks/${taskIds[0]}`, { status: 'active' });
    got = await getProject(p.id);
    expect(got.progress).toBe(66);

    const overridden = await api(manager, 'PATCH', `/projects/${p.id}`, { progressOverride: 90 });
    expect(overridden.json()).toMatchObject({ progress: 90, progressOverride: 90 });
    const zero = await api(manager, 'PATCH', `/projects/${p.id}`, { progressOverride: 0 });
    expect(zero.json()).toMatchObject({ progress: 0, progressOverride: 0 });
    const computed = await api(manager, 'PATCH', `/projects/${p.id}`, { progressOverride: null });
    expect(computed.json()).toMatchObject({ progress: 66, progressOverride: null });
  });

  it('reports 0 when every task is cancelled', async () => {
    const p = await createProject(manager, { name: 'All cancelled' });
    await api(manager, 'POST', '/tasks', { projectId: p.id, title: 'x', status: 'cancelled' });
    const got = await getProject(p.id);
    expect(got.taskCounts.total).toBe(1);
    expect(got.progress).toBe(0);
  });
});

// ---- lists --------------------------------------------------------------------------------------------

describe('projects: list filters, search, sorting and cursors', () => {
  const tag = 'portfolio';
  const byName: Record<string, string> = {};

  beforeAll(async () => {
    const specs: [string, Record<string, unknown>][] = [
      [
        'Orion',
        { status: 'active', clientId: clientA, dueDate: '2025-04-10', description: 'telescope mirror' },
      ],
      ['pegasus', { status: 'planning', dueDate: '2025-01-15' }],
      ['Andromeda', { status: 'active', dueDate: '2025-06-30', departmentId: departmentA }],
      ['Lyra', { status: 'planning', clientId: clientA }],
      [
        'Cygnus',
        { status: 'active', clientId: clientA, dueDate: '2025-04-10', description: 'swan telescope' },
      ],
    ];
    for (const [name, extra] of specs) {
      byName[name] = (await createProject(manager, { name, tags: [tag], ...extra })).id;
    }
    await api(admin, 'PATCH', `/projects/${byName.Lyra}`, { status: 'cancelled' });
    await createProject(manager, { name: 'Untagged telescope', clientId: clientA, dueDate: '2025-04-10' });
  });

  async function list(query: string) {
    const res = await api(viewer, 'GET', `/projects?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: { id: string; name: string }[]; nextCursor: string | null };
  }
  const names = (page: { items: { name: string }[] }) => page.items.map((i) => i.name);

  it('filters by status, client, department, tag and due window, alone and combined', async () => {
    expect(names(await list(`tag=${tag}&sort=name`))).toEqual([
      'Andromeda',
      'Cygnus',
      'Lyra',
      'Orion',
      'pegasus',
    ]);
    expect(names(await list(`tag=${tag}&status=active&sort=name`))).toEqual(['Andromeda', 'Cygnus', 'Orion']);
    expect(names(await list(`tag=${tag}&status=cancelled`))).toEqual(['Lyra']);
    expect(names(await list(`tag=${tag}&clientId=${clientA}&sort=name`))).toEqual([
      'Cygnus',
      'Lyra',
      'Orion',
    ]);
    expect(names(await list(`clientId=${clientA}&q=telescope&sort=name`))).toEqual([
      'Cygnus',
      'Orion',
      'Untagged telescope',
    ]);
    expect(names(await list(`departmentId=${departmentA}&tag=${tag}`))).toEqual(['Andromeda']);
    expect(names(await list(`tag=${tag}&dueBefore=2025-04-10&sort=name`))).toEqual([
      'Cygnus',
      'Orion',
      'pegasus',
    ]);
    expect(names(await list(`tag=${tag}&dueAfter=2025-04-10&sort=name`))).toEqual([
      'Andromeda',
      'Cygnus',
      'Orion',
    ]);
    expect(names(await list(`tag=${tag}&dueAfter=2025-02-01&dueBefore=2025-05-01&sort=name`))).toEqual([
      'Cygnus',
      'Orion',
    ]);
    expect(
      names(await list(`tag=${tag}&status=active&clientId=${clientA}&dueBefore=2025-04-30&sort=-name`)),
    ).toEqual(['Orion', 'Cygnus']);
  });

  it('searches name and description with q', async () => {
    expect(names(await list('q=telescope&sort=name'))).toEqual(['Cygnus', 'Orion', 'Untagged telescope']);
    expect(names(await list(`q=telescope&tag=${tag}&sort=name`))).toEqual(['Cygnus', 'Orion']);
    expect(names(await list('q=swan'))).toEqual(['Cygnus']);
    expect(names(await list('q=andromeda'))).toEqual(['Andromeda']);
  });

  it('sorts by name, -name, dueDate (undated last) and -dueDate, paging without gaps or repeats', async () => {
    const expected: Record<string, string[]> = {
      name: ['Andromeda', 'Cygnus', 'Lyra', 'Orion', 'pegasus'],
      '-name': ['pegasus', 'Orion', 'Lyra', 'Cygnus', 'Andromeda'],
      // Cygnus and Orion share a due date: ties go by id (creation order for UUIDv7).
      dueDate: ['pegasus', 'Orion', 'Cygnus', 'Andromeda', 'Lyra'],
      '-dueDate': ['Lyra', 'Andromeda', 'Cygnus', 'Orion', 'pegasus'],
    };
    for (const [sort, want] of Object.entries(expected)) {
      expect(names(await list(`tag=${tag}&sort=${sort}`)), sort).toEqual(want);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await list(`tag=${tag}&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...names(page));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen, sort).toEqual(want);
      expect(pages, sort).toBe(3);
    }
  });

  it('refuses a cursor of another sort and a forged one (400 naming cursor), and bad filters', async () => {
    const page = await list(`tag=${tag}&sort=name&limit=1`);
    expectFieldError(await api(viewer, 'GET', `/projects?sort=dueDate&cursor=${page.nextCursor}`), 'cursor');
    expectFieldError(await api(viewer, 'GET', '/projects?cursor=AAAA'), 'cursor');
    expectFieldError(await api(viewer, 'GET', '/projects?status=done'), 'status');
    expectFieldError(await api(viewer, 'GET', '/projects?dueBefore=tomorrow'), 'dueBefore');
    expectFieldError(await api(viewer, 'GET', '/projects?clientId=nope'), 'clientId');
    expectFieldError(await api(viewer, 'GET', '/projects?sort=budget'), 'sort');
  });
});

// ---- concurrency --------------------------------------------------------------------------------------

describe('projects: If-Match', () => {
  it('refuses a stale project PATCH (412, unchanged); the ETag version succeeds and bumps the version', async () => {
    const p = await createProject(manager, { name: 'Concurrent', budgetMinor: 10 });
    await api(manager, 'PATCH', `/projects/${p.id}`, { budgetMinor: 20 });
    const row = await rowOf('projects', p.id);
    const stale = await api(
      manager,
      'PATCH',
      `/projects/${p.id}`,
      { budgetMinor: 30 },
      { 'if-match': '"1"' },
    );
    expect(expectProblem(stale, 412, 'precondition-failed').currentVersion).toBe(2);
    const staleMove = await api(
      manager,
      'PATCH',
      `/projects/${p.id}`,
      { status: 'active' },
      { 'if-match': '"1"' },
    );
    expectProblem(staleMove, 412, 'precondition-failed');
    expect(await rowOf('projects', p.id)).toBe(row);
    const got = await api(viewer, 'GET', `/projects/${p.id}`);
    expect(got.headers.etag).toBe('"2"');
    const ok = await api(
      manager,
      'PATCH',
      `/projects/${p.id}`,
      { budgetMinor: 30 },
      { 'if-match': got.headers.etag as string },
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ budgetMinor: 30, version: 3 });
    expectProblem(
      await api(manager, 'DELETE', `/projects/${p.id}`, undefined, { 'if-match': '"2"' }),
      412,
      'precondition-failed',
    );
    expect(await rowOf('projects', p.id)).toBeDefined();
  });

  // Regression: a PATCH that changes nothing leaves the version alone (others' If-Match stays valid).
  it('keeps the milestone version on a PATCH that changes nothing', async () => {
    const p = await createProject(manager, { name: 'No-op milestone' });
    const m = (
      await api(manager, 'POST', `/projects/${p.id}/milestones`, { name: 'Same', done: false })
    ).json();
    const res = await api(manager, 'PATCH', `/projects/${p.id}/milestones/${m.id}`, {
      name: 'Same',
      done: false,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().version).toBe(1);
  });

  it('keeps the expense version on a PATCH that changes nothing', async () => {
    const p = await createProject(manager, { name: 'No-op expense' });
    const e = (
      await api(manager, 'POST', `/projects/${p.id}/expenses`, {
        spentOn: '2025-01-01',
        amountMinor: 5,
        category: 'x',
      })
    ).json();
    const res = await api(manager, 'PATCH', `/projects/${p.id}/expenses/${e.id}`, {
      amountMinor: 5,
      category: 'x',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().version).toBe(1);
  });

  it('refuses stale milestone and expense PATCHes (412, unchanged); current versions succeed', async () => {
    const p = await createProject(manager, { name: 'Concurrent children' });
    const m = (await api(manager, 'POST', `/projects/${p.id}/milestones`, { name: 'M1' })).json();
    await api(manager, 'PATCH', `/projects/${p.id}/milestones/${m.id}`, { name: 'M1b' });
    const mRow = await rowOf('project_milestones', m.id);
    expectProblem(
      await api(
        manager,
        'PATCH',
        `/projects/${p.id}/milestones/${m.id}`,
        { done: true },
        { 'if-match': '"1"' },
      ),
      412,
      'precondition-failed',
    );
    expect(await rowOf('project_milestones', m.id)).toBe(mRow);
    const mOk = await api(
      manager,
      'PATCH',
      `/projects/${p.id}/milestones/${m.id}`,
      { done: true },
      { 'if-match': '"2"' },
    );
    expect(mOk.statusCode, mOk.body).toBe(200);
    expect(mOk.json()).toMatchObject({ done: true, version: 3 });

    const e = (
      await api(manager, 'POST', `/projects/${p.id}/expenses`, {
        spentOn: '2025-01-01',
        amountMinor: 5,
        category: 'x',
      })
    ).json();
    await api(manager, 'PATCH', `/projects/${p.id}/expenses/${e.id}`, { note: 'first' });
    const eRow = await rowOf('project_expenses', e.id);
    expectProblem(
      await api(
        manager,
        'PATCH',
        `/projects/${p.id}/expenses/${e.id}`,
        { amountMinor: 500 },
        { 'if-match': '"1"' },
      ),
      412,
      'precondition-failed',
    );
    expect(await rowOf('project_expenses', e.id)).toBe(eRow);
    expect((await getProject(p.id)).spentMinor).toBe(5);
    const eOk = await api(
      manager,
      'PATCH',
      `/projects/${p.id}/expenses/${e.id}`,
      { amountMinor: 500 },
      { 'if-match': '"2"' },
    );
    expect(eOk.statusCode, eOk.body).toBe(200);
    expect(eOk.json()).toMatchObject({ amountMinor: 500, version: 3 });
  });
});

// ---- permissions --------------------------------------------------------------------------------------

describe('projects: permissions', () => {
  it('lets viewer, user, developer and analyst read but not write (403 naming projects:manage)', async () => {
    const p = await createProject(manager, { name: 'Read only for some' });
    const m = (await api(manager, 'POST', `/projects/${p.id}/milestones`, { name: 'M' })).json();
    for (const s of [viewer, user, developer, analyst]) {
      for (const url of [
        `/projects`,
        `/projects/${p.id}`,
        `/projects/${p.id}/milestones`,
        `/projects/${p.id}/expenses`,
      ]) {
        expect((await api(s, 'GET', url)).statusCode, url).toBe(200);
      }
      const row = await rowOf('projects', p.id);
      const n = await countOf('projects');
      const body = expectProblem(await api(s, 'POST', '/projects', { name: 'Nope' }), 403, 'forbidden');
      expect(body.permission).toBe('projects:manage');
      expectProblem(await api(s, 'PATCH', `/projects/${p.id}`, { name: 'Nope' }), 403, 'forbidden');
      expectProblem(await api(s, 'PATCH', `/projects/${p.id}`, { status: 'active' }), 403, 'forbidden');
      expectProblem(await api(s, 'DELETE', `/projects/${p.id}`), 403, 'forbidden');
      expectProblem(await api(s, 'POST', `/projects/${p.id}/milestones`, { name: 'x' }), 403, 'forbidden');
      expectProblem(
        await api(s, 'PATCH', `/projects/${p.id}/milestones/${m.id}`, { done: true }),
        403,
        'forbidden',
      );
      expectProblem(
        await api(s, 'POST', `/projects/${p.id}/expenses`, {
          spentOn: '2025-01-01',
          amountMinor: 1,
          category: 'x',
        }),
        403,
        'forbidden',
      );
      expect(await rowOf('projects', p.id)).toBe(row);
      expect(await countOf('projects')).toBe(n);
    }
  });
});

// ---- audit ----------------------------------------------------------------------------------------------

describe('projects: audit', () => {
  it('records project, milestone and expense writes with before/after diffs', async () => {
    const p = await createProject(manager, { name: 'Audited project', budgetMinor: 100 });
    await api(manager, 'PATCH', `/projects/${p.id}`, { budgetMinor: 250, tags: ['t'] });
    await api(manager, 'PATCH', `/projects/${p.id}`, { status: 'active' });
    const events = await auditOf('project', p.id);
    expect(events.map((e) => e.action)).toEqual([
      'project.create',
      'project.update',
      'project.status_change',
    ]);
    expect(events.every((e) => e.actor.id === manager.userId)).toBe(true);
    expect(events[0]!.changes).toMatchObject({
      name: { before: null, after: 'Audited project' },
      status: { before: null, after: 'planning' },
      budget_minor: { before: null, after: 100 },
      currency: { before: null, after: 'USD' },
    });
    expect(events[1]!.changes).toEqual({
      budget_minor: { before: 100, after: 250 },
      tags: { before: [], after: ['t'] },
    });
    expect(events[2]!.changes).toEqual({ status: { before: 'planning', after: 'active' } });

    const m = (await api(manager, 'POST', `/projects/${p.id}/milestones`, { name: 'Audited M' })).json();
    await api(manager, 'PATCH', `/projects/${p.id}/milestones/${m.id}`, { name: 'Audited M2' });
    await api(manager, 'DELETE', `/projects/${p.id}/milestones/${m.id}`);
    const mEvents = await auditOf('milestone', m.id);
    expect(mEvents.map((e) => e.action)).toEqual([
      'milestone.create',
      'milestone.update',
      'milestone.delete',
    ]);
    expect(mEvents[1]!.changes).toEqual({ name: { before: 'Audited M', after: 'Audited M2' } });
    expect(mEvents[0]!.metadata).toMatchObject({ projectId: p.id });

    const e = (
      await api(manager, 'POST', `/projects/${p.id}/expenses`, {
        spentOn: '2025-01-01',
        amountMinor: 40,
        category: 'x',
      })
    ).json();
    await api(manager, 'PATCH', `/projects/${p.id}/expenses/${e.id}`, { amountMinor: 45 });
    await api(manager, 'DELETE', `/projects/${p.id}/expenses/${e.id}`);
    const eEvents = await auditOf('expense', e.id);
    expect(eEvents.map((x) => x.action)).toEqual(['expense.create', 'expense.update', 'expense.delete']);
    expect(eEvents[0]!.changes).toMatchObject({ amount_minor: { before: null, after: 40 } });
    expect(eEvents[1]!.changes).toEqual({ amount_minor: { before: 40, after: 45 } });
    expect(eEvents[2]!.changes).toMatchObject({ amount_minor: { before: 45, after: null } });

    await api(manager, 'DELETE', `/projects/${p.id}`);
    const last = await auditOf('project', p.id);
    expect(last.at(-1)!.action).toBe('project.delete');
    expect(last.at(-1)!.changes!.name).toEqual({ before: 'Audited project', after: null });
  });

  it('records the reopening with the acting org_admin, and nothing for the refused attempt', async () => {
    const p = await projectIn('cancelled', 'Audited reopen');
    await api(manager, 'PATCH', `/projects/${p.id}`, { status: 'planning' }); // 403
    await api(admin, 'PATCH', `/projects/${p.id}`, { status: 'planning' });
    const events = await auditOf('project', p.id);
    expect(events.map((e) => e.action)).toEqual([
      'project.create',
      'project.status_change',
      'project.status_change',
    ]);
    expect(events[2]!.actor.id).toBe(admin.userId);
    expect(events[2]!.changes).toEqual({ status: { before: 'cancelled', after: 'planning' } });
  });
});
