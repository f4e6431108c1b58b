// The web app's cache invalidation by domain event (web/src/api/invalidation.ts), without a browser:
// a realtime message marks stale exactly the queries showing what it changed, by key prefix; and
// the queries' retry policy (transient failures asked again, refusals shown at once).
import { QueryClient } from '@tanstack/query-core';
import { describe, expect, it } from 'vitest';
import { invalidateForEvent, keysForEvent } from '../web/src/api/invalidation.ts';
import { retryTransient } from '../web/src/api/retry.ts';

function seeded() {
  const client = new QueryClient();
  const keys = {
    projectTasks: ['tasks', 'project', 'p1'],
    task: ['tasks', 't1'],
    project: ['projects', 'p1'],
    dashboard: ['analytics', 'DashboardPage.dash'],
    clients: ['clients', 'list', {}],
    memberNames: ['members', 'names', ['u1']],
    roles: ['roles', 'RolesPage.roles'],
  };
  for (const key of Object.values(keys)) client.setQueryData(key, { seeded: true });
  const stale = () =>
    Object.entries(keys)
      .filter(([, key]) => client.getQueryState(key)?.isInvalidated)
      .map(([name]) => name)
      .sort();
  return { client, stale };
}

describe('invalidateForEvent', () => {
  it("task.updated makes every task listing and record stale, and the projects' progress and dashboards", async () => {
    const { client, stale } = seeded();
    const keys = await invalidateForEvent(client, {
      id: 'e1',
      type: 'task.updated',
      payload: { id: 't1', projectId: 'p1' },
    });
    expect(keys).toEqual([['tasks'], ['projects'], ['analytics']]);
    expect(stale()).toEqual(['dashboard', 'project', 'projectTasks', 'task']);
  });

  it('member and role events make member listings (and the names shown by id) stale, nothing of work', async () => {
    for (const type of ['member.joined', 'member.removed', 'role.changed', 'security.mfa_changed']) {
      const { client, stale } = seeded();
      await invalidateForEvent(client, { id: 'e2', type, payload: { id: 'm1' } });
      expect(stale(), type).toContain('memberNames');
      expect(stale(), type).not.toContain('task');
    }
    const { client, stale } = seeded();
    await invalidateForEvent(client, { id: 'e3', type: 'role.changed', payload: { id: 'r1' } });
    expect(stale()).toEqual(['memberNames', 'roles']);
  });

  it('client.created makes client listings stale; an event type nobody knows makes nothing stale', async () => {
    const { client, stale } = seeded();
    await invalidateForEvent(client, { id: 'e4', type: 'client.created', payload: { id: 'c1' } });
    expect(stale()).toEqual(['clients', 'dashboard']);
    expect(keysForEvent({ id: 'e5', type: 'spaceship.launched' })).toEqual([]);
    const fresh = seeded();
    await invalidateForEvent(fresh.client, { id: 'e6', type: 'nonsense' });
    expect(fresh.stale()).toEqual([]);
  });
});

describe('retryTransient (the web app queries’ retry policy)', () => {
  // Asks `fetchQuery` with the app's policy for a value whose first answers fail with `failures`.
  async function ask(failures: unknown[]) {
    const client = new QueryClient();
    let calls = 0;
    const result = await client
      .fetchQuery({
        queryKey: ['probe'],
        queryFn: async () => {
          const failure = failures[calls++];
          if (failure !== undefined) throw failure;
          return 'value';
        },
        retry: retryTransient,
        retryDelay: 0,
      })
      .catch((error: unknown) => error);
    return { result, calls };
  }
  const status = (n: number) => Object.assign(new Error(`HTTP ${n}`), { status: n });

  it('asks again after a dropped connection or a 502/503/504, at most twice', async () => {
    expect(await ask([new TypeError('Failed to fetch')])).toEqual({ result: 'value', calls: 2 });
    expect(await ask([status(503), status(502)])).toEqual({ result: 'value', calls: 3 });
    const third = status(504);
    expect(await ask([status(503), status(503), third])).toEqual({ result: third, calls: 3 });
  });

  it('shows a refusal or an internal error at once', async () => {
    for (const n of [400, 401, 403, 404, 409, 422, 429, 500]) {
      const refusal = status(n);
      expect(await ask([refusal])).toEqual({ result: refusal, calls: 1 });
    }
    const bug = new RangeError('not a transport failure');
    expect(await ask([bug])).toEqual({ result: bug, calls: 1 });
  });
});
