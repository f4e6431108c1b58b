// Work management, tasks (issue 3, items 3, 4, 5, 9): CRUD, assignee and project of the same
// organization, the status table with completedAt in step, who may change what (tasks:work on one's
// own tasks, tasks:manage on any), comments, time entries, watchers, filtered/searched/sorted lists,
// If-Match, audit, and EXPLAIN proof that the list queries use indexes on a few thousand tasks.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskListQueryType } from '../src/modules/work/task-schemas.ts';
import { listTasks } from '../src/modules/work/task-store.ts';
import type { Sql } from '../src/platform/db/transaction.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let admin: Session;
let manager: Session;
let dev: Session; // developer
let dev2: Session; // another developer
let user: Session; // role "user"
let viewer: Session;
let analyst: Session;
let other: Session; // org_admin of organization B
let otherMember: Session;
let projectA: string;
let projectB: string;

const {
  api,
  rowOf,
  countOf,
  auditTrail: auditOf,
} = apiHelpers(
  () => t,
  () => admin,
);

async function createTask(s: Session, payload: Record<string, unknown>) {
  const res = await api(s, 'POST', '/tasks', { projectId: projectA, ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Tasks A' });
  await t.owner("UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1", [admin.orgId]);
  manager = await addMember(t, admin, 'manager');
  dev = await addMember(t, admin, 'developer');
  dev2 = await addMember(t, admin, 'developer');
  user = await addMember(t, admin, 'user');
  viewer = await addMember(t, admin, 'viewer');
  analyst = await addMember(t, admin, 'analyst');
  other = await signUp(t, { orgName: 'Tasks B' });
  otherMember = await addMember(t, other, 'developer');
  projectA = (await api(admin, 'POST', '/projects', { name: 'Project A', status: 'active' })).json().id;
  projectB = (await api(other, 'POST', '/projects', { name: 'Project B' })).json().id;
  expect(projectA && projectB).toBeTruthy();
});

afterAll(async () => {
  await t?.close();
});

// ---- CRUD ---------------------------------------------------------------------------------------

describe('tasks: create, read, update, delete', () => {
  it('creates a task with defaults and reads it back with an ETag', async () => {
    const task = await createTask(manager, { title: 'Write the spec' });
    expect(task).toMatchObject({
      projectId: projectA,
      title: 'Write the spec',
      description: '',
      assigneeId: null,
      priority: 'medium',
      status: 'pending',
      tags: [],
      dueDate: null,
      estimateMinutes: null,
      completedAt: null,
      createdBy: manager.userId,
      version: 1,
    });
    const got = await api(viewer, 'GET', `/tasks/${task.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(task);
    expect(got.headers.etag).toBe('"1"');
  });

  it('creates a task with every field, and changes them', async () => {
    const task = await createTask(manager, {
      title: 'Ship it',
      description: '## Steps\n1. build',
      assigneeId: dev.userId,
      priority: 'urgent',
      tags: ['release'],
      dueDate: '2025-12-24',
      estimateMinutes: 120,
    });
    expect(task).toMatchObject({
      assigneeId: dev.userId,
      priority: 'urgent',
      tags: ['release'],
      dueDate: '2025-12-24',
      estimateMinutes: 120,
    });
    const project2 = (await api(manager, 'POST', '/projects', { name: 'Second' })).json().id;
    const res = await api(manager, 'PATCH', `/tasks/${task.id}`, {
      title: 'Ship it now',
      assigneeId: dev2.userId,
      priority: 'low',
      dueDate: null,
      estimateMinutes: null,
      projectId: project2,
      tags: [],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      title: 'Ship it now',
      assigneeId: dev2.userId,
      priority: 'low',
      dueDate: null,
      estimateMinutes: null,
      projectId: project2,
      tags: [],
      version: 2,
    });
  });

  it('deletes a task with its comments, time entries and watchers', async () => {
    const task = await createTask(manager, { title: 'Delete me', assigneeId: dev.userId });
    expect((await api(dev, 'POST', `/tasks/${task.id}/comments`, { body: 'hi' })).statusCode).toBe(201);
    expect(
      (await api(dev, 'POST', `/tasks/${task.id}/time-entries`, { spentOn: '2025-01-01', minutes: 5 }))
        .statusCode,
    ).toBe(201);
    expect((await api(viewer, 'PUT', `/tasks/${task.id}/watchers/${viewer.userId}`)).statusCode).toBe(204);
    expect((await api(manager, 'DELETE', `/tasks/${task.id}`)).statusCode).toBe(204);
    expectProblem(await api(viewer, 'GET', `/tasks/${task.id}`), 404, 'not-found');
    for (const table of ['task_comments', 'task_time_entries', 'task_watchers']) {
      expect(await countOf(table, 'task_id = $2', [task.id]), table).toBe(0);
    }
    expectProblem(await api(manager, 'DELETE', `/tasks/${task.id}`), 404, 'not-found');
  });

  it('refuses bad bodies with 400 naming the field, storing nothing', async () => {
    const n = await countOf('tasks');
    const cases: [Record<string, unknown>, string][] = [
      [{ title: '' }, 'title'],
      [{ title: 'x'.repeat(301) }, 'title'],
      [{ title: 'p', priority: 'critical' }, 'priority'],
      [{ title: 's', status: 'done' }, 'status'],
      [{ title: 'd', dueDate: '2025-13-01' }, 'dueDate'],
      [{ title: 'e', estimateMinutes: -1 }, 'estimateMinutes'],
      [{ title: 'e', estimateMinutes: 1_000_001 }, 'estimateMinutes'],
      [{ title: 'a', assigneeId: 'me' }, 'assigneeId'],
      [{ title: 'x', colour: 'red' }, 'colour'],
    ];
    for (const [payload, field] of cases) {
      expectFieldError(await api(manager, 'POST', '/tasks', { projectId: projectA, ...payload }), field);
    }
    expectFieldError(await api(manager, 'POST', '/tasks', { title: 'no project' }), 'projectId');
    expect(await countOf('tasks')).toBe(n);
  });

  it('refuses an assignee or a project of another organization (400 naming the field), storing nothing', async () => {
    const n = await countOf('tasks');
    expectFieldError(
      await api(manager, 'POST', '/tasks', {
        projectId: projectA,
        title: 'x',
        assigneeId: otherMember.userId,
      }),
      'assigneeId',
      'member',
    );
    expectFieldError(
      await api(manager, 'POST', '/tasks', { projectId: projectB, title: 'x' }),
      'projectId',
      'exists',
    );
    expectFieldError(
      await api(manager, 'POST', '/tasks', { projectId: '0190a5b4-0000-7000-8000-0000000000f1', title: 'x' }),
      'projectId',
    );
    expect(await countOf('tasks')).toBe(n);
    expect(
      (await t.owner('SELECT count(*)::int AS n FROM tasks WHERE project_id = $1', [projectB])).rows[0]!.n,
    ).toBe(0);

    const task = await createTask(manager, { title: 'Keep me home', assigneeId: dev.userId });
    const row = await rowOf('tasks', task.id);
    expectFieldError(
      await api(manager, 'PATCH', `/tasks/${task.id}`, { assigneeId: other.userId }),
      'assigneeId',
    );
    expectFieldError(await api(manager, 'PATCH', `/tasks/${task.id}`, { projectId: projectB }), 'projectId');
    expect(await rowOf('tasks', task.id)).toBe(row);
  });
});

// ---- status table ------------------------------------------------------------------------------------

const TASK_STATUSES = ['pending', 'active', 'completed', 'cancelled'] as const;
const TASK_ALLOWED: Record<string, string[]> = {
  pending: ['active', 'completed', 'cancelled'],
  active: ['pending', 'completed', 'cancelled'],
  completed: ['active'],
  cancelled: ['pending'],
};

describe('tasks: status moves and completedAt', () => {
  it('creates a completed task with completedAt, and other statuses without', async () => {
    for (const status of TASK_STATUSES) {
      const task = await createTask(manager, { title: `Born ${status}`, status });
      expect(task.status).toBe(status);
      expect(task.completedAt === null, status).toBe(status !== 'completed');
    }
  });

  for (const from of TASK_STATUSES) {
    for (const to of TASK_STATUSES) {
      if (from === to) continue;
      const allowed = TASK_ALLOWED[from]!.includes(to);
      it(`${from} → ${to} ${allowed ? 'is allowed, completedAt in step' : 'is refused with 409 naming the allowed moves'}`, async () => {
        const task = await createTask(manager, {
          title: `${from} to ${to}`,
          status: from,
          assigneeId: dev.userId,
        });
        const row = await rowOf('tasks', task.id);
        // The assignee (tasks:work) makes the move, as the table says anyone who may change the task can.
        const res = await api(dev, 'PATCH', `/tasks/${task.id}`, { status: to });
        if (!allowed) {
          const body = expectProblem(res, 409, 'invalid-transition');
          expect(body.allowedMoves).toEqual(TASK_ALLOWED[from]);
          expect(body.from).toBe(from);
          expect(body.to).toBe(to);
          expect(await rowOf('tasks', task.id)).toBe(row);
          return;
        }
        expect(res.statusCode, res.body).toBe(200);
        const after = res.json();
        expect(after.status).toBe(to);
        expect(after.version).toBe(2);
        if (to === 'completed') expect(Date.parse(after.completedAt)).not.toBeNaN();
        else expect(after.completedAt).toBeNull();
        const stored = await t.owner('SELECT status, completed_at FROM tasks WHERE id = $1', [task.id]);
        expect(stored.rows[0]!.status).toBe(to);
        expect(stored.rows[0]!.completed_at === null).toBe(to !== 'completed');
      });
    }
  }

  it('keeps completedAt while other fields change, and sets a new one when completed again', async () => {
    const task = await createTask(manager, { title: 'Round trip', status: 'active' });
    const done = (await api(manager, 'PATCH', `/tasks/${task.id}`, { status: 'completed' })).json();
    const renamed = (await api(manager, 'PATCH', `/tasks/${task.id}`, { title: 'Round trip 2' })).json();
    expect(renamed.completedAt).toBe(done.completedAt);
    const same = await api(manager, 'PATCH', `/tasks/${task.id}`, { status: 'completed' });
    expect(same.json()).toMatchObject({ completedAt: done.completedAt, version: renamed.version });
    const reopened = (await api(manager, 'PATCH', `/tasks/${task.id}`, { status: 'active' })).json();
    expect(reopened.completedAt).toBeNull();
    await new Promise((r) => setTimeout(r, 5));
    const again = (await api(manager, 'PATCH', `/tasks/${task.id}`, { status: 'completed' })).json();
    expect(Date.parse(again.completedAt)).toBeGreaterThan(Date.parse(done.completedAt));
  });
});

// ---- permissions -------------------------------------------------------------------------------------

describe('tasks: who may change what', () => {
  it('lets the assignee (developer or user) change status, description and estimate of their task', async () => {
    for (const worker of [dev, user]) {
      const task = await createTask(manager, { title: 'Mine', assigneeId: worker.userId });
      const res = await api(worker, 'PATCH', `/tasks/${task.id}`, {
        status: 'active',
        description: 'working on it',
        estimateMinutes: 90,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'active',
        description: 'working on it',
        estimateMinutes: 90,
      });
    }
  });

  it('refuses the assignee a change of title, assignee, priority or project (403, unchanged)', async () => {
    const task = await createTask(manager, { title: 'Mine but limited', assigneeId: dev.userId });
    const row = await rowOf('tasks', task.id);
    for (const body of [
      { title: 'Renamed' },
      { assigneeId: dev2.userId },
      { assigneeId: null },
      { priority: 'urgent' },
      { dueDate: '2030-01-01' },
      { status: 'active', title: 'Sneaky' },
    ]) {
      const res = await api(dev, 'PATCH', `/tasks/${task.id}`, body);
      const problem = expectProblem(res, 403, 'forbidden');
      expect(problem.permission).toBe('tasks:manage');
      expect(await rowOf('tasks', task.id)).toBe(row);
    }
  });

  it("refuses a worker any change to someone else's task or an unassigned one (403, unchanged)", async () => {
    const theirs = await createTask(manager, { title: 'Theirs', assigneeId: dev2.userId });
    const nobodys = await createTask(manager, { title: 'Nobody’s' });
    for (const task of [theirs, nobodys]) {
      const row = await rowOf('tasks', task.id);
      for (const worker of [dev, user]) {
        expectProblem(
          await api(worker, 'PATCH', `/tasks/${task.id}`, { status: 'active' }),
          403,
          'forbidden',
        );
        expectProblem(
          await api(worker, 'PATCH', `/tasks/${task.id}`, { description: 'mine now' }),
          403,
          'forbidden',
        );
      }
      expect(await rowOf('tasks', task.id)).toBe(row);
    }
  });

  it('refuses workers creating and deleting tasks, and viewers and analysts any write (403, nothing stored)', async () => {
    const task = await createTask(manager, { title: 'Guarded', assigneeId: dev.userId });
    const row = await rowOf('tasks', task.id);
    const n = await countOf('tasks');
    for (const s of [dev, user, viewer, analyst]) {
      const created = expectProblem(
        await api(s, 'POST', '/tasks', { projectId: projectA, title: 'x' }),
        403,
        'forbidden',
      );
      expect(created.permission).toBe('tasks:manage');
      expectProblem(await api(s, 'DELETE', `/tasks/${task.id}`), 403, 'forbidden');
    }
    for (const s of [viewer, analyst]) {
      const res = expectProblem(
        await api(s, 'PATCH', `/tasks/${task.id}`, { status: 'active' }),
        403,
        'forbidden',
      );
      expect(res.permission).toBe('tasks:work');
      expectProblem(await api(s, 'POST', `/tasks/${task.id}/comments`, { body: 'x' }), 403, 'forbidden');
      expectProblem(
        await api(s, 'POST', `/tasks/${task.id}/time-entries`, { spentOn: '2025-01-01', minutes: 5 }),
        403,
        'forbidden',
      );
      expect((await api(s, 'GET', `/tasks/${task.id}`)).statusCode).toBe(200);
      expect((await api(s, 'GET', '/tasks')).statusCode).toBe(200);
    }
    expect(await rowOf('tasks', task.id)).toBe(row);
    expect(await countOf('tasks')).toBe(n);
  });

  it('lets a manager change everything on any task', async () => {
    const task = await createTask(admin, { title: 'Managed', assigneeId: dev.userId });
    const res = await api(manager, 'PATCH', `/tasks/${task.id}`, {
      title: 'Managed 2',
      assigneeId: dev2.userId,
      priority: 'high',
      status: 'active',
      dueDate: '2026-01-01',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ title: 'Managed 2', assigneeId: dev2.userId, priority: 'high' });
    // Reassigned: the former assignee lost the right to change it, the new one has it.
    expectProblem(await api(dev, 'PATCH', `/tasks/${task.id}`, { status: 'pending' }), 403, 'forbidden');
    expect((await api(dev2, 'PATCH', `/tasks/${task.id}`, { status: 'pending' })).statusCode).toBe(200);
  });
});

// ---- comments ------------------------------------------------------------------------------------------

describe('tasks: comments', () => {
  it('lets the assignee and watchers comment; other workers get 403', async () => {
    const task = await createTask(manager, { title: 'Discussed', assigneeId: dev.userId });
    const first = await api(dev, 'POST', `/tasks/${task.id}/comments`, { body: 'Starting **now**' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      taskId: task.id,
      authorId: dev.userId,
      authorName: 'Member developer',
      body: 'Starting **now**',
      version: 1,
    });

    const n = await countOf('task_comments', 'task_id = $2', [task.id]);
    expectProblem(
      await api(dev2, 'POST', `/tasks/${task.id}/comments`, { body: 'me too' }),
      403,
      'forbidden',
    );
    expectProblem(
      await api(user, 'POST', `/tasks/${task.id}/comments`, { body: 'me too' }),
      403,
      'forbidden',
    );
    expect(await countOf('task_comments', 'task_id = $2', [task.id])).toBe(n);

    expect((await api(dev2, 'PUT', `/tasks/${task.id}/watchers/${dev2.userId}`)).statusCode).toBe(204);
    const watcherComment = await api(dev2, 'POST', `/tasks/${task.id}/comments`, { body: 'watching this' });
    expect(watcherComment.statusCode, watcherComment.body).toBe(201);
    const managerComment = await api(manager, 'POST', `/tasks/${task.id}/comments`, { body: 'thanks' });
    expect(managerComment.statusCode).toBe(201);

    const list = await api(viewer, 'GET', `/tasks/${task.id}/comments`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((c: { body: string }) => c.body)).toEqual([
      'Starting **now**',
      'watching this',
      'thanks',
    ]);
  });

  it('lets authors edit and delete their own comments; others 403; tasks:manage edits and deletes any', async () => {
    const task = await createTask(manager, { title: 'Edited talk', assigneeId: dev.userId });
    await api(dev2, 'PUT', `/tasks/${task.id}/watchers/${dev2.userId}`);
    const mine = (await api(dev, 'POST', `/tasks/${task.id}/comments`, { body: 'first draft' })).json();
    const theirs = (await api(dev2, 'POST', `/tasks/${task.id}/comments`, { body: 'their words' })).json();

    const edited = await api(dev, 'PATCH', `/tasks/${task.id}/comments/${mine.id}`, { body: 'second draft' });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({ body: 'second draft', version: 2 });

    const row = await rowOf('task_comments', theirs.id);
    expectProblem(
      await api(dev, 'PATCH', `/tasks/${task.id}/comments/${theirs.id}`, { body: 'rewritten' }),
      403,
      'forbidden',
    );
    expectProblem(await api(dev, 'DELETE', `/tasks/${task.id}/comments/${theirs.id}`), 403, 'forbidden');
    expect(await rowOf('task_comments', theirs.id)).toBe(row);

    const moderated = await api(manager, 'PATCH', `/tasks/${task.id}/comments/${theirs.id}`, {
      body: '[removed]',
    });
    expect(moderated.statusCode, moderated.body).toBe(200);
    expect((await api(manager, 'DELETE', `/tasks/${task.id}/comments/${theirs.id}`)).statusCode).toBe(204);
    expect((await api(dev, 'DELETE', `/tasks/${task.id}/comments/${mine.id}`)).statusCode).toBe(204);
    expect((await api(viewer, 'GET', `/tasks/${task.id}/comments`)).json().items).toEqual([]);
  });

  it('refuses an empty comment (400 body) and a comment reached through another task (404)', async () => {
    const task = await createTask(manager, { title: 'Comment rules', assigneeId: dev.userId });
    const elsewhere = await createTask(manager, { title: 'Elsewhere', assigneeId: dev.userId });
    const n = await countOf('task_comments');
    expectFieldError(await api(dev, 'POST', `/tasks/${task.id}/comments`, { body: '' }), 'body');
    expectFieldError(
      await api(dev, 'POST', `/tasks/${task.id}/comments`, { body: 'x'.repeat(20001) }),
      'body',
    );
    expect(await countOf('task_comments')).toBe(n);
    const c = (await api(dev, 'POST', `/tasks/${task.id}/comments`, { body: 'here' })).json();
    const row = await rowOf('task_comments', c.id);
    expectProblem(
      await api(dev, 'PATCH', `/tasks/${elsewhere.id}/comments/${c.id}`, { body: 'moved' }),
      404,
      'not-found',
    );
    expectProblem(await api(manager, 'DELETE', `/tasks/${elsewhere.id}/comments/${c.id}`), 404, 'not-found');
    expect(await rowOf('task_comments', c.id)).toBe(row);
  });
});

// ---- time entries -----------------------------------------------------------------------------------------

describe('tasks: time entries', () => {
  it('logs time, totals it against the estimate, and lets a manager log for someone else', async () => {
    const task = await createTask(manager, { title: 'Timed', assigneeId: dev.userId, estimateMinutes: 240 });
    const a = await api(dev, 'POST', `/tasks/${task.id}/time-entries`, {
      spentOn: '2025-03-03',
      minutes: 90,
      note: 'research',
    });
    expect(a.statusCode, a.body).toBe(201);
    expect(a.json()).toMatchObject({
      taskId: task.id,
      userId: dev.userId,
      spentOn: '2025-03-03',
      minutes: 90,
    });
    const b = await api(manager, 'POST', `/tasks/${task.id}/time-entries`, {
      spentOn: '2025-03-02',
      minutes: 1440,
      userId: dev.userId,
    });
    expect(b.statusCode, b.body).toBe(201);
    expect(b.json().userId).toBe(dev.userId);
    const c = await api(manager, 'POST', `/tasks/${task.id}/time-entries`, {
      spentOn: '2025-03-04',
      minutes: 1,
    });
    expect(c.json().userId).toBe(manager.userId);

    const list = await api(viewer, 'GET', `/tasks/${task.id}/time-entries`);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ totalMinutes: 1531, estimateMinutes: 240, nextCursor: null });
    expect(list.json().items.map((e: { minutes: number }) => e.minutes)).toEqual([1440, 90, 1]);
  });

  it('refuses 0 or 1441 minutes (400 naming minutes), another user’s time without tasks:manage (403), a non-member (400)', async () => {
    const task = await createTask(manager, { title: 'Timed rules', assigneeId: dev.userId });
    const n = await countOf('task_time_entries');
    for (const minutes of [0, 1441, -5, 1.5]) {
      expectFieldError(
        await api(dev, 'POST', `/tasks/${task.id}/time-entries`, { spentOn: '2025-01-01', minutes }),
        'minutes',
      );
    }
    expectFieldError(
      await api(dev, 'POST', `/tasks/${task.id}/time-entries`, { spentOn: 'yesterday', minutes: 5 }),
      'spentOn',
    );
    const forOther = await api(dev, 'POST', `/tasks/${task.id}/time-entries`, {
      spentOn: '2025-01-01',
      minutes: 5,
      userId: dev2.userId,
    });
    expect(expectProblem(forOther, 403, 'forbidden').permission).toBe('tasks:manage');
    expectFieldError(
      await api(manager, 'POST', `/tasks/${task.id}/time-entries`, {
        spentOn: '2025-01-01',
        minutes: 5,
        userId: otherMember.userId,
      }),
      'userId',
    );
    // Not the assignee: no time on it at all.
    const theirs = await createTask(manager, { title: 'Not dev’s', assigneeId: dev2.userId });
    expectProblem(
      await api(dev, 'POST', `/tasks/${theirs.id}/time-entries`, { spentOn: '2025-01-01', minutes: 5 }),
      403,
      'forbidden',
    );
    expect(await countOf('task_time_entries')).toBe(n);
  });

  it("lets people delete their own time, and only tasks:manage delete someone else's", async () => {
    const task = await createTask(manager, { title: 'Timed deletes', assigneeId: dev.userId });
    const own = (
      await api(dev, 'POST', `/tasks/${task.id}/time-entries`, { spentOn: '2025-01-01', minutes: 5 })
    ).json();
    const managers = (
      await api(manager, 'POST', `/tasks/${task.id}/time-entries`, { spentOn: '2025-01-01', minutes: 7 })
    ).json();
    expectProblem(
      await api(dev, 'DELETE', `/tasks/${task.id}/time-entries/${managers.id}`),
      403,
      'forbidden',
    );
    expect(await rowOf('task_time_entries', managers.id)).toBeDefined();
    expect((await api(dev, 'DELETE', `/tasks/${task.id}/time-entries/${own.id}`)).statusCode).toBe(204);
    const again = (
      await api(dev, 'POST', `/tasks/${task.id}/time-entries`, { spentOn: '2025-01-02', minutes: 3 })
    ).json();
    expect((await api(manager, 'DELETE', `/tasks/${task.id}/time-entries/${again.id}`)).statusCode).toBe(204);
    const list = (await api(viewer, 'GET', `/tasks/${task.id}/time-entries`)).json();
    expect(list.totalMinutes).toBe(7);
    expectProblem(await api(manager, 'DELETE', `/tasks/${task.id}/time-entries/${own.id}`), 404, 'not-found');
  });
});

// ---- watchers ----------------------------------------------------------------------------------------------

describe('tasks: watchers', () => {
  it('lets anyone who reads tasks watch and unwatch themselves (idempotent)', async () => {
    const task = await createTask(manager, { title: 'Watched' });
    expect((await api(viewer, 'PUT', `/tasks/${task.id}/watchers/${viewer.userId}`)).statusCode).toBe(204);
    expect((await api(viewer, 'PUT', `/tasks/${task.id}/watchers/${viewer.userId}`)).statusCode).toBe(204);
    const list = await api(viewer, 'GET', `/tasks/${task.id}/watchers`);
    expect(list.json().items).toEqual([
      expect.objectContaining({ userId: viewer.userId, name: 'Member viewer' }),
    ]);
    expect((await auditOf('task', task.id)).filter((e) => e.action === 'task.watch')).toHaveLength(1);
    expect((await api(viewer, 'DELETE', `/tasks/${task.id}/watchers/${viewer.userId}`)).statusCode).toBe(204);
    expect((await api(viewer, 'DELETE', `/tasks/${task.id}/watchers/${viewer.userId}`)).statusCode).toBe(204);
    expect((await api(viewer, 'GET', `/tasks/${task.id}/watchers`)).json().items).toEqual([]);
  });

  it('needs tasks:manage to add or remove someone else (403), and refuses a non-member (400 userId)', async () => {
    const task = await createTask(manager, { title: 'Watch others' });
    expect(
      expectProblem(await api(dev, 'PUT', `/tasks/${task.id}/watchers/${dev2.userId}`), 403, 'forbidden')
        .permission,
    ).toBe('tasks:manage');
    expectProblem(await api(viewer, 'PUT', `/tasks/${task.id}/watchers/${dev2.userId}`), 403, 'forbidden');
    expect(await countOf('task_watchers', 'task_id = $2', [task.id])).toBe(0);
    expect((await api(manager, 'PUT', `/tasks/${task.id}/watchers/${dev2.userId}`)).statusCode).toBe(204);
    expectProblem(await api(dev, 'DELETE', `/tasks/${task.id}/watchers/${dev2.userId}`), 403, 'forbidden');
    expect(await countOf('task_watchers', 'task_id = $2', [task.id])).toBe(1);
    expectFieldError(await api(manager, 'PUT', `/tasks/${task.id}/watchers/${otherMember.userId}`), 'userId');
    expect((await api(manager, 'DELETE', `/tasks/${task.id}/watchers/${dev2.userId}`)).statusCode).toBe(204);
    expect(await countOf('task_watchers', 'task_id = $2', [task.id])).toBe(0);
    expectProblem(
      await api(manager, 'PUT', `/tasks/0190a5b4-0000-7000-8000-0000000000f2/watchers/${dev2.userId}`),
      404,
      'not-found',
    );
  });
});

// ---- lists ---------------------------------------------------------------------------------------------------

describe('tasks: list filters, search, sorting and cursors', () => {
  let listProject: string;
  let clientProject: string;
  let clientId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    clientId = (await api(admin, 'POST', '/clients', { name: 'Task client' })).json().id;
    listProject = (await api(admin, 'POST', '/projects', { name: 'Listing' })).json().id;
    clientProject = (await api(admin, 'POST', '/projects', { name: 'Client work', clientId })).json().id;
    const specs: [string, Record<string, unknown>][] = [
      [
        'Alpha audit',
        { priority: 'high', status: 'active', assigneeId: dev.userId, dueDate: '2025-05-01', tags: ['ops'] },
      ],
      [
        'bravo backup',
        {
          priority: 'low',
          status: 'pending',
          assigneeId: dev.userId,
          dueDate: '2025-03-01',
          description: 'nightly database backup',
        },
      ],
      [
        'Charlie cleanup',
        { priority: 'urgent', status: 'pending', assigneeId: dev2.userId, tags: ['ops', 'cleanup'] },
      ],
      [
        'Delta deploy',
        { priority: 'medium', status: 'completed', assigneeId: dev2.userId, dueDate: '2025-04-15' },
      ],
      [
        'Echo estimate',
        { priority: 'high', status: 'pending', dueDate: '2025-04-15', description: 'database sizing' },
      ],
      [
        'Foxtrot fix',
        { priority: 'urgent', status: 'cancelled', assigneeId: dev.userId, dueDate: '2025-01-10' },
      ],
    ];
    for (const [title, extra] of specs) {
      ids[title] = (await createTask(admin, { title, projectId: listProject, ...extra })).id;
    }
    ids['Golf gateway'] = (
      await createTask(admin, {
        title: 'Golf gateway',
        projectId: clientProject,
        priority: 'low',
        assigneeId: dev.userId,
        dueDate: '2025-02-01',
        description: 'database gateway',
      })
    ).id;
  });

  async function list(query: string) {
    const res = await api(viewer, 'GET', `/tasks?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: { id: string; title: string }[]; nextCursor: string | null };
  }
  const titles = (page: { items: { title: string }[] }) => page.items.map((i) => i.title);
  const inList = () => `projectId=${listProject}`;

  it('filters by status, priority, assignee, project and client', async () => {
    expect(titles(await list(`${inList()}&sort=title`))).toEqual([
      'Alpha audit',
      'bravo backup',
      'Charlie cleanup',
      'Delta deploy',
      'Echo estimate',
      'Foxtrot fix',
    ]);
    expect(titles(await list(`${inList()}&status=pending&sort=title`))).toEqual([
      'bravo backup',
      'Charlie cleanup',
      'Echo estimate',
    ]);
    expect(titles(await list(`${inList()}&priority=urgent&sort=title`))).toEqual([
      'Charlie cleanup',
      'Foxtrot fix',
    ]);
    expect(titles(await list(`assigneeId=${dev.userId}&projectId=${listProject}&sort=title`))).toEqual([
      'Alpha audit',
      'bravo backup',
      'Foxtrot fix',
    ]);
    expect(titles(await list(`clientId=${clientId}`))).toEqual(['Golf gateway']);
    expect(titles(await list(`projectId=${clientProject}`))).toEqual(['Golf gateway']);
  });

  it('filters by due window and tag', async () => {
    expect(titles(await list(`${inList()}&dueBefore=2025-04-15&sort=title`))).toEqual([
      'bravo backup',
      'Delta deploy',
      'Echo estimate',
      'Foxtrot fix',
    ]);
    expect(titles(await list(`${inList()}&dueAfter=2025-04-15&sort=title`))).toEqual([
      'Alpha audit',
      'Delta deploy',
      'Echo estimate',
    ]);
    expect(titles(await list(`${inList()}&dueAfter=2025-02-01&dueBefore=2025-04-30&sort=title`))).toEqual([
      'bravo backup',
      'Delta deploy',
      'Echo estimate',
    ]);
    expect(titles(await list(`${inList()}&tag=ops&sort=title`))).toEqual(['Alpha audit', 'Charlie cleanup']);
    expect(titles(await list(`${inList()}&tag=cleanup`))).toEqual(['Charlie cleanup']);
  });

  it('searches title and description with q (full text), alone and with other filters', async () => {
    expect(titles(await list('q=database&sort=title'))).toEqual([
      'bravo backup',
      'Echo estimate',
      'Golf gateway',
    ]);
    expect(titles(await list(`q=database&${inList()}&sort=title`))).toEqual([
      'bravo backup',
      'Echo estimate',
    ]);
    expect(titles(await list(`q=database&assigneeId=${dev.userId}&sort=title`))).toEqual([
      'bravo backup',
      'Golf gateway',
    ]);
    expect(titles(await list('q=audit'))).toEqual(['Alpha audit']);
    expect(titles(await list(`q=${encodeURIComponent('database -gateway')}&sort=title`))).toEqual([
      'bravo backup',
      'Echo estimate',
    ]);
  });

  it('combines many filters at once', async () => {
    expect(
      titles(
        await list(
          `${inList()}&status=pending&priority=low&assigneeId=${dev.userId}&dueBefore=2025-03-31&q=backup`,
        ),
      ),
    ).toEqual(['bravo backup']);
    expect(titles(await list(`${inList()}&status=pending&priority=urgent&assigneeId=${dev.userId}`))).toEqual(
      [],
    );
    expect(titles(await list(`clientId=${clientId}&status=completed`))).toEqual([]);
  });

  it('sorts by dueDate (undated last), priority and title, both ways, paging without gaps or repeats', async () => {
    const expected: Record<string, string[]> = {
      dueDate: [
        'Foxtrot fix',
        'bravo backup',
        'Delta deploy',
        'Echo estimate',
        'Alpha audit',
        'Charlie cleanup',
      ],
      '-dueDate': [
        'Charlie cleanup',
        'Alpha audit',
        'Echo estimate',
        'Delta deploy',
        'bravo backup',
        'Foxtrot fix',
      ],
      // low < medium < high < urgent; ties by id (creation order).
      priority: [
        'bravo backup',
        'Delta deploy',
        'Alpha audit',
        'Echo estimate',
        'Charlie cleanup',
        'Foxtrot fix',
      ],
      '-priority': [
        'Foxtrot fix',
        'Charlie cleanup',
        'Echo estimate',
        'Alpha audit',
        'Delta deploy',
        'bravo backup',
      ],
      title: [
        'Alpha audit',
        'bravo backup',
        'Charlie cleanup',
        'Delta deploy',
        'Echo estimate',
        'Foxtrot fix',
      ],
      '-title': [
        'Foxtrot fix',
        'Echo estimate',
        'Delta deploy',
        'Charlie cleanup',
        'bravo backup',
        'Alpha audit',
      ],
    };
    for (const [sort, want] of Object.entries(expected)) {
      expect(titles(await list(`${inList()}&sort=${sort}`)), sort).toEqual(want);
      for (const limit of [1, 4]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await list(
            `${inList()}&sort=${sort}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
          );
          seen.push(...titles(page));
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 20);
        expect(seen, `${sort} limit ${limit}`).toEqual(want);
        expect(pages, `${sort} limit ${limit}`).toBe(Math.ceil(want.length / limit));
      }
    }
  });

  it('refuses a cursor from another sort or a forged one, and bad filters (400 naming the parameter)', async () => {
    const page = await list(`${inList()}&sort=priority&limit=2`);
    expectFieldError(
      await api(viewer, 'GET', `/tasks?${inList()}&sort=title&cursor=${page.nextCursor}`),
      'cursor',
    );
    expectFieldError(await api(viewer, 'GET', `/tasks?sort=title&cursor=${'x'.repeat(40)}`), 'cursor');
    expectFieldError(await api(viewer, 'GET', '/tasks?priority=critical'), 'priority');
    expectFieldError(await api(viewer, 'GET', '/tasks?status=done'), 'status');
    expectFieldError(await api(viewer, 'GET', '/tasks?assigneeId=me'), 'assigneeId');
    expectFieldError(await api(viewer, 'GET', '/tasks?dueAfter=2025-1-1'), 'dueAfter');
    expectFieldError(await api(viewer, 'GET', '/tasks?sort=assignee'), 'sort');
    expectFieldError(await api(viewer, 'GET', `/tasks?q=${'a'.repeat(201)}`), 'q');
  });
});

// ---- concurrency -----------------------------------------------------------------------------------------------

describe('tasks: If-Match', () => {
  it('refuses a stale task PATCH (412, unchanged), by a manager or by the assignee; the current version succeeds', async () => {
    const task = await createTask(manager, { title: 'Raced', assigneeId: dev.userId });
    await api(manager, 'PATCH', `/tasks/${task.id}`, { priority: 'high' });
    const row = await rowOf('tasks', task.id);
    const stale = await api(manager, 'PATCH', `/tasks/${task.id}`, { title: 'Lost' }, { 'if-match': '"1"' });
    expect(expectProblem(stale, 412, 'precondition-failed').currentVersion).toBe(2);
    expectProblem(
      await api(dev, 'PATCH', `/tasks/${task.id}`, { status: 'active' }, { 'if-match': '"1"' }),
      412,
      'precondition-failed',
    );
    expect(await rowOf('tasks', task.id)).toBe(row);
    const got = await api(dev, 'GET', `/tasks/${task.id}`);
    expect(got.headers.etag).toBe(`"${got.json().version}"`);
    const ok = await api(
      dev,
      'PATCH',
      `/tasks/${task.id}`,
      { status: 'active' },
      { 'if-match': got.headers.etag as string },
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'active', version: 3 });
    expectProblem(
      await api(manager, 'DELETE', `/tasks/${task.id}`, undefined, { 'if-match': '"2"' }),
      412,
      'precondition-failed',
    );
    expect(await rowOf('tasks', task.id)).toBeDefined();
    expect(
      (await api(manager, 'DELETE', `/tasks/${task.id}`, undefined, { 'if-match': '"3"' })).statusCode,
    ).toBe(204);
  });

  // Regression: a PATCH that changes nothing leaves the version alone.
  it('keeps the comment version on a PATCH that changes nothing', async () => {
    const task = await createTask(manager, { title: 'No-op talk', assigneeId: dev.userId });
    const c = (await api(dev, 'POST', `/tasks/${task.id}/comments`, { body: 'same' })).json();
    const res = await api(dev, 'PATCH', `/tasks/${task.id}/comments/${c.id}`, { body: 'same' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().version).toBe(1);
  });

  it('of three concurrent deletes of one comment, one is 204 and the others 404, audited once', async () => {
    const task = await createTask(manager, { title: 'Raced delete', assigneeId: dev.userId });
    const c = (await api(dev, 'POST', `/tasks/${task.id}/comments`, { body: 'going' })).json();
    const codes = (
      await Promise.all([1, 2, 3].map(() => api(dev, 'DELETE', `/tasks/${task.id}/comments/${c.id}`)))
    ).map((r) => r.statusCode);
    expect(codes.sort()).toEqual([204, 404, 404]);
    const events = await t.owner<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'comment.delete' AND resource_id = $1`,
      [c.id],
    );
    expect(events.rows[0]!.n).toBe(1);
  });

  it('refuses a stale comment PATCH (412, unchanged); the current version succeeds', async () => {
    const task = await createTask(manager, { title: 'Raced talk', assigneeId: dev.userId });
    const c = (await api(dev, 'POST', `/tasks/${task.id}/comments`, { body: 'v1' })).json();
    await api(dev, 'PATCH', `/tasks/${task.id}/comments/${c.id}`, { body: 'v2' });
    const row = await rowOf('task_comments', c.id);
    expectProblem(
      await api(
        dev,
        'PATCH',
        `/tasks/${task.id}/comments/${c.id}`,
        { body: 'v3 from stale' },
        { 'if-match': '"1"' },
      ),
      412,
      'precondition-failed',
    );
    expect(await rowOf('task_comments', c.id)).toBe(row);
    const ok = await api(
      dev,
      'PATCH',
      `/tasks/${task.id}/comments/${c.id}`,
      { body: 'v3' },
      { 'if-match': '"2"' },
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ body: 'v3', version: 3 });
  });
});

// ---- audit --------------------------------------------------------------------------------------------------------

describe('tasks: audit', () => {
  it('records task, comment, time and watcher writes with their diffs', async () => {
    const task = await createTask(manager, { title: 'Audited task', assigneeId: dev.userId });
    await api(manager, 'PATCH', `/tasks/${task.id}`, { title: 'Audited task 2', priority: 'high' });
    await api(dev, 'PATCH', `/tasks/${task.id}`, { status: 'completed' });
    await api(dev, 'PUT', `/tasks/${task.id}/watchers/${dev.userId}`);
    const events = await auditOf('task', task.id);
    expect(events.map((e) => e.action)).toEqual([
      'task.create',
      'task.update',
      'task.status_change',
      'task.watch',
    ]);
    expect(events[0]!.changes).toMatchObject({
      title: { before: null, after: 'Audited task' },
      assignee_id: { before: null, after: dev.userId },
      project_id: { before: null, after: projectA },
    });
    expect(events[1]!.changes).toEqual({
      title: { before: 'Audited task', after: 'Audited task 2' },
      priority: { before: 'medium', after: 'high' },
    });
    expect(events[2]!.changes).toEqual({ status: { before: 'pending', after: 'completed' } });
    expect(events[2]!.actor.id).toBe(dev.userId);
    expect(events[3]!.metadata).toMatchObject({ userId: dev.userId });

    const c = (await api(dev, 'POST', `/tasks/${task.id}/comments`, { body: 'note' })).json();
    await api(dev, 'PATCH', `/tasks/${task.id}/comments/${c.id}`, { body: 'note 2' });
    const cEvents = await auditOf('comment', c.id);
    expect(cEvents.map((e) => e.action)).toEqual(['comment.create', 'comment.update']);
    expect(cEvents[1]!.changes).toEqual({ body: { before: 'note', after: 'note 2' } });
    expect(cEvents[0]!.metadata).toMatchObject({ taskId: task.id });

    const e = (
      await api(dev, 'POST', `/tasks/${task.id}/time-entries`, { spentOn: '2025-01-01', minutes: 30 })
    ).json();
    await api(dev, 'DELETE', `/tasks/${task.id}/time-entries/${e.id}`);
    const tEvents = await auditOf('time_entry', e.id);
    expect(tEvents.map((x) => x.action)).toEqual(['time_entry.create', 'time_entry.delete']);
    expect(tEvents[0]!.changes).toMatchObject({ minutes: { before: null, after: 30 } });
    expect(tEvents[1]!.changes).toMatchObject({ minutes: { before: 30, after: null } });

    await api(manager, 'DELETE', `/tasks/${task.id}`);
    const last = (await auditOf('task', task.id)).at(-1)!;
    expect(last.action).toBe('task.delete');
    expect(last.changes!.title).toEqual({ before: 'Audited task 2', after: null });
    expect((await api(admin, 'GET', '/audit/integrity')).json().ok).toBe(true);
  });

  it('records nothing for refused task writes', async () => {
    const task = await createTask(manager, {
      title: 'Quiet task',
      assigneeId: dev.userId,
      status: 'completed',
    });
    await api(dev, 'PATCH', `/tasks/${task.id}`, { status: 'cancelled' }); // 409
    await api(dev, 'PATCH', `/tasks/${task.id}`, { title: 'x' }); // 403
    await api(manager, 'PATCH', `/tasks/${task.id}`, { assigneeId: other.userId }); // 400
    await api(manager, 'PATCH', `/tasks/${task.id}`, { title: 'x' }, { 'if-match': '"7"' }); // 412
    expect((await auditOf('task', task.id)).map((e) => e.action)).toEqual(['task.create']);
  });
});

// ---- EXPLAIN on a few thousand tasks ----------------------------------------------------------------------------

/** Every plan node, depth first. */
function nodesOf(plan: Record<string, unknown>): Record<string, unknown>[] {
  const children = (plan.Plans as Record<string, unknown>[] | undefined) ?? [];
  return [plan, ...children.flatMap(nodesOf)];
}

describe('tasks: the list queries use indexes (EXPLAIN)', () => {
  let bigProjects: string[];

  beforeAll(async () => {
    // 20 projects per organization, 6,000 tasks in A and 6,000 in B, set-based.
    const assignees = [dev.userId, dev2.userId, user.userId, manager.userId, admin.userId];
    for (const [orgId, people] of [
      [admin.orgId, assignees],
      [other.orgId, [other.userId, otherMember.userId]],
    ] as [string, string[]][]) {
      await t.owner(
        `INSERT INTO projects (org_id, id, name, status, currency)
         SELECT $1, gen_random_uuid(), 'Bulk project ' || g, 'active', 'USD' FROM generate_series(1, 20) g`,
        [orgId],
      );
      await t.owner(
        `WITH p AS (SELECT array_agg(id ORDER BY id) AS ids FROM projects WHERE org_id = $1 AND name LIKE 'Bulk project %')
         INSERT INTO tasks (org_id, id, project_id, title, description, assignee_id, priority, status, due_date,
                            completed_at, created_at, tags)
         SELECT $1, gen_random_uuid(), p.ids[1 + g % 20],
                'Bulk task ' || g || ' ' || (ARRAY['invoice','deploy','review','backup','migrate'])[1 + g % 5]
                  || CASE WHEN g % 1000 = 0 THEN ' needle' ELSE '' END,
                'generated ' || md5(g::text),
                ($2::uuid[])[1 + g % array_length($2::uuid[], 1)],
                (ARRAY['low','medium','high','urgent'])[1 + g % 4],
                s.status,
                DATE '2025-01-01' + (g % 365),
                CASE WHEN s.status = 'completed' THEN now() END,
                now() - make_interval(secs => g),
                ARRAY['bulk-' || (g % 500)]
         FROM p, generate_series(1, 6000) g,
              LATERAL (SELECT (ARRAY['pending','active','completed','cancelled'])[1 + (g / 7) % 4] AS status) s`,
        [orgId, people],
      );
    }
    // VACUUM also empties the GIN pending lists that the bulk insert filled (as autovacuum would).
    await t.owner('VACUUM ANALYZE tasks');
    await t.owner('ANALYZE projects');
    bigProjects = (
      await t.owner<{ id: string }>(
        "SELECT id FROM projects WHERE org_id = $1 AND name LIKE 'Bulk project %' ORDER BY id",
        [admin.orgId],
      )
    ).rows.map((r) => r.id);
    expect(bigProjects).toHaveLength(20);
    expect(await countOf('tasks')).toBeGreaterThanOrEqual(6000);
  });

  /** The plan of the task list query for `q`, as the application role acting for organization A. */
  async function planOf(q: TaskListQueryType): Promise<Record<string, unknown>[]> {
    const c = new pg.Client({ connectionString: t.appUrl });
    await c.connect();
    try {
      await c.query('BEGIN');
      await c.query("SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)", [
        admin.orgId,
        admin.userId,
      ]);
      // The store builds the SQL it runs; run that SQL under EXPLAIN instead.
      let plan: Record<string, unknown> | null = null;
      const explaining = {
        query: async (text: string, values: unknown[]) => {
          const res = await c.query<{ 'QUERY PLAN': { Plan: Record<string, unknown> }[] }>(
            `EXPLAIN (FORMAT JSON) ${text}`,
            values,
          );
          plan = res.rows[0]!['QUERY PLAN'][0]!.Plan;
          return { rows: [], rowCount: 0 };
        },
      } as unknown as Sql;
      await listTasks(explaining, q);
      await c.query('ROLLBACK');
      expect(plan).not.toBeNull();
      return nodesOf(plan!);
    } finally {
      await c.end();
    }
  }

  function expectIndexed(nodes: Record<string, unknown>[], label: string): void {
    const onTasks = nodes.filter((n) => n['Relation Name'] === 'tasks');
    expect(onTasks.length, label).toBeGreaterThan(0);
    const shown = JSON.stringify(onTasks.map((n) => [n['Node Type'], n['Index Name']]));
    expect(
      onTasks.filter((n) => n['Node Type'] === 'Seq Scan'),
      `${label}: ${shown}`,
    ).toEqual([]);
    const indexNodes = nodes.filter(
      (n) => typeof n['Index Name'] === 'string' && String(n['Index Name']).startsWith('tasks_'),
    );
    expect(indexNodes.length, `${label}: ${shown}`).toBeGreaterThan(0);
  }

  it('uses an index for status + assignee', async () => {
    expectIndexed(await planOf({ status: 'active', assigneeId: dev.userId, limit: 50 }), 'status+assignee');
  });

  it('uses an index for project + status', async () => {
    expectIndexed(
      await planOf({ projectId: bigProjects[3]!, status: 'pending', limit: 50 }),
      'project+status',
    );
  });

  it('uses an index for q with a common word, alone and with filters', async () => {
    expectIndexed(await planOf({ q: 'migrate', limit: 50 }), 'q common');
    expectIndexed(
      await planOf({ q: 'migrate', status: 'active', assigneeId: dev2.userId, limit: 50 }),
      'q+filters',
    );
    // Bulk task g has word g % 5 and assignee g % 5: every "migrate" task is the admin's.
    const found = await api(
      viewer,
      'GET',
      `/tasks?q=migrate&status=active&assigneeId=${admin.userId}&limit=5`,
    );
    expect(found.statusCode).toBe(200);
    expect(found.json().items.length).toBeGreaterThan(0);
  });

  it('finds a rare word through the API', async () => {
    const rare = createHash('md5').update('42').digest('hex');
    const found = await api(viewer, 'GET', `/tasks?q=${rare}`);
    expect(found.json().items.map((i: { title: string }) => i.title)).toEqual(['Bulk task 42 review']);
    const needles = await api(viewer, 'GET', '/tasks?q=needle&sort=title');
    expect(needles.json().items.map((i: { title: string }) => i.title)).toEqual(
      [1000, 2000, 3000, 4000, 5000, 6000].map((g) => `Bulk task ${g} invoice needle`),
    );
    const tagged = await api(viewer, 'GET', '/tasks?tag=bulk-7&limit=200');
    expect(tagged.json().items).toHaveLength(12);
  });

  // Regression: under row-level security a filter only becomes an index condition when its function
  // is LEAKPROOF; migration 0002 marks ts_match_vq (@@) and arraycontains (@>) so the GIN indexes work.
  it('uses the GIN index tasks_search_idx for a rare word', async () => {
    const nodes = await planOf({ q: 'needle', limit: 50 });
    expectIndexed(nodes, 'q rare');
    expect(nodes.some((n) => n['Index Name'] === 'tasks_search_idx')).toBe(true);
  });

  it('uses the GIN index tasks_tags_idx for a rare tag', async () => {
    const nodes = await planOf({ tag: 'bulk-7', limit: 50 });
    expectIndexed(nodes, 'tag rare');
    expect(nodes.some((n) => n['Index Name'] === 'tasks_tags_idx')).toBe(true);
  });

  it('uses an index for a later page too (cursor condition), and the API answers it', async () => {
    const first = await api(
      viewer,
      'GET',
      `/tasks?projectId=${bigProjects[5]}&status=pending&sort=priority&limit=20`,
    );
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().items).toHaveLength(20);
    expectIndexed(
      await planOf({
        projectId: bigProjects[5]!,
        status: 'pending',
        sort: 'priority',
        limit: 20,
        cursor: first.json().nextCursor,
      }),
      'project+status page 2',
    );
  });
});
