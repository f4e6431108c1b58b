// Domain events reach outbound webhooks through the real path (issue 15): a change made through
// the API commits its event to the outbox; a worker's dispatcher, registered with the modules'
// handlers as `bul start` registers them (moduleEventHandlers over the composed module list), hands
// it to the webhooks module, which queues one delivery per subscribed endpoint in the event's
// transaction; the worker's delivery job signs and sends it to a local sink that verifies it with
// the `standardwebhooks` package. Another organization's endpoint receives nothing.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDispatcher } from '../src/platform/events/dispatcher.ts';
import { EventHandlerRegistry, moduleEventHandlers } from '../src/platform/events/registry.ts';
import { type JobRunner, startWorker } from '../src/platform/jobs/worker.ts';
import type { BulComposition } from '../src/services.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { composeWorker } from './support/event-worker-inline.ts';
import { createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';
import { type Sink, startSink } from './support/webhook-sink.ts';

const quiet = pino({ level: 'silent' });
let t: TestApp;
let adminA: Session;
let adminB: Session;
let worker: JobRunner | null = null;
let composition: BulComposition;
const sinks: Sink[] = [];
const { api } = apiHelpers(
  () => t,
  () => adminA,
);

beforeAll(async () => {
  t = await createTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  adminA = await signUp(t, { orgName: 'Events to hooks A' });
  adminB = await signUp(t, { orgName: 'Events to hooks B' });
  // What a worker process builds: every module's services from the list, on the same database.
  composition = await composeWorker(t);
});

afterAll(async () => {
  await worker?.stop();
  for (const s of sinks) await s.close();
  await t?.close();
});

async function endpoint(s: Session, events: string[]): Promise<Sink> {
  const sink = await startSink();
  sinks.push(sink);
  const res = await api(s, 'POST', '/webhooks/endpoints', { url: sink.url, events });
  expect(res.statusCode, res.body).toBe(201);
  sink.secret = res.json().secret;
  return sink;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('domain events to outbound webhooks', () => {
  it('delivers each committed event once per subscribed endpoint, signed, and none to another organization', async () => {
    const sinkA = await endpoint(adminA, ['task.created']);
    const sinkB = await endpoint(adminB, ['task.created']);
    const project = await api(adminA, 'POST', '/projects', { name: 'Hooked' });
    expect(project.statusCode, project.body).toBe(201);
    const tasks: string[] = [];
    for (const title of ['one', 'two', 'three']) {
      const res = await api(adminA, 'POST', '/tasks', { projectId: project.json().id, title });
      expect(res.statusCode, res.body).toBe(201);
      tasks.push(res.json().id);
    }

    const registry = new EventHandlerRegistry().register(...moduleEventHandlers(composition.eventHandlers()));
    expect(registry.list().map((h) => h.name)).toContain('webhooks');
    const dispatcher = new EventDispatcher({
      pool: t.pool,
      registry,
      log: quiet,
      maxAttempts: 3,
      retryBaseMs: 1,
      pollMs: 60_000,
    });
    for (const org of [adminA.orgId, adminB.orgId])
      for (let i = 0; i < 100 && (await dispatcher.dispatchOrg(org)); i++);
    // Dispatching again (a redelivery) queues nothing new.
    await dispatcher.dispatchOrg(adminA.orgId);

    worker = await startWorker({ pool: t.pool, jobs: composition.jobs(), concurrency: 4, log: quiet });
    // One delivery and one attempt per event once they are done: nothing queued twice, none retried.
    const counts = async () =>
      (
        await t.owner<{ deliveries: number; attempts: number; done: number }>(
          `SELECT (SELECT count(*) FROM webhook_deliveries WHERE org_id = $1)::int AS deliveries,
                  (SELECT count(*) FROM webhook_deliveries WHERE org_id = $1 AND status <> 'pending')::int AS done,
                  (SELECT count(*) FROM webhook_delivery_attempts WHERE org_id = $1)::int AS attempts`,
          [adminA.orgId],
        )
      ).rows[0]!;
    await until('three deliveries to A done', async () => (await counts()).done >= 3);
    expect(await counts()).toEqual({ deliveries: 3, done: 3, attempts: 3 });
    expect(sinkA.requests).toHaveLength(3);
    for (const r of sinkA.requests) expect(r.verifyError).toBeNull();
    const bodies = sinkA.requests.map((r) => r.verified as { type: string; data: { id: string } });
    expect(bodies.map((b) => b.type)).toEqual(['task.created', 'task.created', 'task.created']);
    expect(bodies.map((b) => b.data.id).sort()).toEqual([...tasks].sort());
    expect(new Set(sinkA.requests.map((r) => r.headers['webhook-id'])).size).toBe(3);
    expect(sinkB.requests).toHaveLength(0);
  });
});
