// The daily "due soon" scan (issue 16, item 3): in the organization's time zone, once per local
// day at or after 08:00, every open, assigned task due on the next local date gets `task.due_soon`,
// which the built-in rule turns into the assignee's notification. Before 08:00 local nothing is
// emitted; a second run the same local day emits nothing; a done task, an unassigned one and one due
// later are left out.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runDueSoonScan } from '../src/modules/notifications/due-soon-scan.ts';
import type { BulComposition } from '../src/services.ts';
import { composeWorker, startEvents } from './support/event-worker-inline.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let composition: BulComposition;
let stopEvents: () => Promise<void>;
let admin: Session;
let member: Session;

beforeAll(async () => {
  t = await createTestApp();
  composition = await composeWorker(t);
  stopEvents = await startEvents(t, composition);
  admin = await signUp(t, { orgName: 'Due Soon' });
  member = await addMember(t, admin, 'developer');
  await t.owner("UPDATE organizations SET timezone = 'America/New_York' WHERE id = $1", [admin.orgId]);
}, 60_000);

afterAll(async () => {
  await stopEvents?.();
  await t?.close();
});

async function created(url: string, payload: unknown) {
  const res = await t.request({
    method: 'POST',
    url: `/api/v1${url}`,
    headers: admin.headers,
    payload: payload as object,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const dueSoonEvents = async () =>
  (
    await t.owner<{ id: string }>(
      "SELECT payload->>'id' AS id FROM domain_events WHERE org_id = $1 AND type = 'task.due_soon' ORDER BY 1",
      [admin.orgId],
    )
  ).rows.map((r) => r.id);

it("emits task.due_soon once per local day, at 08:00 in the organization's zone, for open assigned tasks due tomorrow", async () => {
  const project = await created('/projects', { name: 'Launch', status: 'active' });
  const task = (title: string, extra: object) =>
    created('/tasks', { projectId: project.id, title, ...extra });
  // "Tomorrow" for a scan on 2026-03-08 (the day New York springs forward) is 2026-03-09.
  const dueTomorrow = await task('Due tomorrow', { assigneeId: member.userId, dueDate: '2026-03-09' });
  await task('Unassigned', { dueDate: '2026-03-09' });
  await task('Later', { assigneeId: member.userId, dueDate: '2026-03-11' });
  const done = await task('Already done', { assigneeId: member.userId, dueDate: '2026-03-09' });
  const finished = await t.request({
    method: 'PATCH',
    url: `/api/v1/tasks/${done.id}`,
    headers: admin.headers,
    payload: { status: 'completed' },
  });
  expect(finished.statusCode, finished.body).toBe(200);

  // 07:59 EDT (11:59 UTC): not yet.
  await runDueSoonScan(t.pool, new Date('2026-03-08T11:59:00Z'));
  expect(await dueSoonEvents()).toEqual([]);
  // 08:00 EDT (12:00 UTC, after the spring-forward gap): the scan of 2026-03-08.
  const first = await runDueSoonScan(t.pool, new Date('2026-03-08T12:00:00Z'));
  expect(first).toMatchObject({ scanned: 1, events: 1 });
  expect(await dueSoonEvents()).toEqual([dueTomorrow.id]);
  // Later the same local day: nothing more.
  expect(await runDueSoonScan(t.pool, new Date('2026-03-08T23:00:00Z'))).toMatchObject({
    scanned: 0,
    events: 0,
  });
  expect(await dueSoonEvents()).toEqual([dueTomorrow.id]);

  // The built-in rule: the assignee hears of it in their inbox.
  await expect
    .poll(
      async () =>
        (await t.request({ method: 'GET', url: '/api/v1/me/notifications', headers: member.headers }))
          .json()
          .items.map((i: { eventType: string }) => i.eventType),
      { timeout: 15_000 },
    )
    .toContain('task.due_soon');
}, 60_000);
