// /ws (issue 15, item 3) with real WebSocket clients against a listening app, and a worker that
// dispatches the committed events to the realtime publisher as `bul start` does
// (startEventHandling). Bad inputs: no credentials, a cookie session from another site's page, a
// malformed lastEventId, a message that is not JSON, a subscription to another organization, a
// subscription with unknown fields or values, a flood of messages, an unknown subscription id.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventDispatcher } from '../src/platform/events/dispatcher.ts';
import { EventHandlerRegistry, moduleEventHandlers } from '../src/platform/events/registry.ts';
import type { BulComposition } from '../src/services.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import { composeWorker, startEvents as startEventsOf } from './support/event-worker-inline.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';
import { connectWs, UpgradeRefused, type WsClient, type WsMessage } from './support/ws-client.ts';

const quiet = pino({ level: 'silent' });
let t: TestApp;
let base: string;
let wsUrl: string;
let stopEvents: () => Promise<void>;
let composition: BulComposition;

/** Starts the worker side again (events committed while it was stopped are dispatched in one go). */
async function startEvents(): Promise<void> {
  stopEvents = await startEventsOf(t, composition);
}
let adminA: Session;
let adminB: Session;
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await createTestApp({
    WS_MESSAGES_PER_SECOND: '5',
    WS_RESUME_LIMIT: '10',
    WS_MAX_CONNECTIONS_PER_USER: '25',
    WS_HEARTBEAT_MS: '1000', // also how often hubs compare with the publisher's progress
    CORS_ORIGINS: '*', // not a URL: allows no other origin, and must not stop the app
  });
  const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = address;
  wsUrl = `${address.replace('http', 'ws')}/ws`;
  composition = await composeWorker(t);
  await startEvents();
  adminA = await signUp(t, { orgName: 'Realtime A' });
  adminB = await signUp(t, { orgName: 'Realtime B' });
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await stopEvents?.();
  await t?.close();
});

async function open(headers: Record<string, string>, query = ''): Promise<WsClient> {
  const c = await connectWs(`${wsUrl}${query}`, headers);
  clients.push(c);
  return c;
}

const bearer = (s: Session) => ({ authorization: s.headers.authorization! });

async function api(s: Session, method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) {
  const res = await t.request({
    method,
    url: `/api/v1${url}`,
    headers: s.headers,
    ...(payload ? { payload: payload as Record<string, unknown> } : {}),
  });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.statusCode === 204 ? null : res.json();
}

const isEvent = (type: string, id?: string) => (m: WsMessage) =>
  m.type === type && (id === undefined || m.payload?.id === id);

async function refused(headers: Record<string, string>, query = ''): Promise<UpgradeRefused> {
  const err = await connectWs(`${wsUrl}${query}`, headers).then(
    (c) => {
      clients.push(c);
      throw new Error('the upgrade was accepted');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpgradeRefused);
  return err as UpgradeRefused;
}

async function cookieOf(s: Session): Promise<string> {
  const res = await t.request({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: s.email, password: STRONG_PASSWORD, session: 'cookie' },
  });
  expect(res.statusCode, res.body).toBe(200);
  const c = res.cookies.find((x) => x.name === 'bul_session')!;
  return `bul_session=${c.value}`;
}

describe('/ws authentication', () => {
  it('refuses an upgrade without credentials (401), with a broken token (401) and a malformed lastEventId (400), as problems', async () => {
    const none = await refused({});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).type).toBe('urn:bul:error:unauthenticated');
    expect((await refused({ authorization: 'Bearer not-a-token' })).status).toBe(401);
    const bad = await refused(bearer(adminA), '?lastEventId=42');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).errors[0]).toMatchObject({ field: 'lastEventId', rule: 'format' });
  });

  it("accepts a browser session from this site's page and refuses it from another site's (403) or with no Origin", async () => {
    const cookie = await cookieOf(adminA);
    const host = new URL(base).host;
    const ok = await open({ cookie, origin: `http://${host}` });
    expect(ok.messages[0]).toMatchObject({
      type: 'ready',
      organizationId: adminA.orgId,
      userId: adminA.userId,
    });
    const evil = await refused({ cookie, origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).detail).toContain('https://evil.example');
    expect((await refused({ cookie })).status).toBe(403);
    // A bearer token is not sent by browsers on their own: no Origin rule for it.
    await open({ ...bearer(adminA), origin: 'https://evil.example' });
  });

  it('accepts an API key', async () => {
    const key = await api(adminA, 'POST', '/api-keys', {
      name: 'ws',
      scopes: ['tasks:read', 'projects:read'],
    });
    const c = await open({ authorization: `Bearer ${key.key}` });
    const project = await api(adminA, 'POST', '/projects', { name: 'Keyed' });
    const task = await api(adminA, 'POST', '/tasks', { projectId: project.id, title: 'seen by a key' });
    const got = await c.next(isEvent('task.created', task.id), 'task.created');
    expect(got.payload).toMatchObject({ id: task.id, projectId: project.id });
    // The key reads tasks and projects only: no client events.
    const client = await api(adminA, 'POST', '/clients', { name: 'Not for the key' });
    const marker = await api(adminA, 'POST', '/tasks', { projectId: project.id, title: 'after the client' });
    await c.next(isEvent('task.created', marker.id), 'the task after the client');
    expect(c.events().some((m) => m.payload?.id === client.id)).toBe(false);
  });
});

describe('/ws delivery', () => {
  it("delivers an organization's events, in order, with id, type and payload, and never another organization's", async () => {
    const a = await open(bearer(adminA));
    const b = await open(bearer(adminB));
    const projectA = await api(adminA, 'POST', '/projects', { name: 'A only' });
    const taskA = await api(adminA, 'POST', '/tasks', { projectId: projectA.id, title: 'one' });
    await api(adminA, 'PATCH', `/tasks/${taskA.id}`, { title: 'one, renamed' });
    const projectB = await api(adminB, 'POST', '/projects', { name: 'B only' });
    const updated = await a.next(isEvent('task.updated', taskA.id), 'task.updated');
    expect(updated).toMatchObject({
      payload: { id: taskA.id, fields: ['title'] },
      actor: { id: adminA.userId },
    });
    expect(typeof updated.id).toBe('string');
    await b.next(isEvent('project.created', projectB.id), "B's own event");
    const seqs = a.events().map((m) => m.seq!);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(a.events().map((m) => m.type)).toEqual(
      expect.arrayContaining(['project.created', 'task.created', 'task.updated']),
    );
    const aIds = new Set([projectA.id, taskA.id]);
    expect(b.events().some((m) => aIds.has(m.payload?.id as string))).toBe(false);
    expect(a.events().some((m) => m.payload?.id === projectB.id)).toBe(false);
  });

  it("filters by the member's permissions at delivery: a developer gets project events but no deal events", async () => {
    const dev = await addMember(t, adminA, 'developer');
    const c = await open(bearer(dev));
    const admin = await open(bearer(adminA));
    const client = await api(adminA, 'POST', '/clients', { name: 'Deal client' });
    const deal = await api(adminA, 'POST', '/deals', {
      title: 'Secret deal',
      clientId: client.id,
      amountMinor: 100,
    });
    const project = await api(adminA, 'POST', '/projects', { name: 'Dev visible' });
    await c.next(isEvent('project.created', project.id), 'project.created for the developer');
    await admin.next(isEvent('deal.created', deal.id), 'deal.created for the admin');
    expect(c.events().some((m) => m.type.startsWith('deal.'))).toBe(false);
    expect(c.events().some((m) => m.type === 'client.created')).toBe(true); // developers read clients
  });

  it('narrows to subscriptions: one project and what belongs to it', async () => {
    const p1 = await api(adminA, 'POST', '/projects', { name: 'Watched' });
    const p2 = await api(adminA, 'POST', '/projects', { name: 'Not watched' });
    const c = await open(bearer(adminA));
    c.send({
      type: 'subscribe',
      id: 'p1',
      organizationId: adminA.orgId,
      resource: 'project',
      resourceId: p1.id,
    });
    await c.next((m) => m.type === 'subscribed' && m.subscription === 'p1', 'subscribed');
    const other = await api(adminA, 'POST', '/tasks', { projectId: p2.id, title: 'elsewhere' });
    const mine = await api(adminA, 'POST', '/tasks', { projectId: p1.id, title: 'here' });
    await api(adminA, 'PATCH', `/projects/${p1.id}`, { description: 'changed' });
    await c.next(isEvent('project.updated', p1.id), 'project.updated');
    expect(c.events().some((m) => m.payload?.id === mine.id && m.type === 'task.created')).toBe(true);
    expect(c.events().some((m) => m.payload?.id === other.id || m.payload?.projectId === p2.id)).toBe(false);
    // Only task.* of it now.
    c.send({ type: 'unsubscribe', subscription: 'p1' });
    await c.next((m) => m.type === 'unsubscribed', 'unsubscribed');
    c.send({ type: 'subscribe', resource: 'project', resourceId: p1.id, events: ['task.*'] });
    await c.next((m) => m.type === 'subscribed' && m.subscription === 's1', 'second subscription');
    await api(adminA, 'PATCH', `/projects/${p1.id}`, { description: 'changed again' });
    const last = await api(adminA, 'POST', '/tasks', { projectId: p1.id, title: 'last' });
    await c.next(isEvent('task.created', last.id), 'task.created');
    expect(c.events().filter((m) => m.type === 'project.updated')).toHaveLength(1);
  });

  it('replays what a reconnecting client missed after its last event id, or tells it to reload', async () => {
    const c = await open(bearer(adminA));
    const project = await api(adminA, 'POST', '/projects', { name: 'Resume' });
    const seen = await c.next(isEvent('project.created', project.id), 'project.created');
    await c.close();
    const missed1 = await api(adminA, 'POST', '/tasks', { projectId: project.id, title: 'missed 1' });
    const missed2 = await api(adminA, 'POST', '/tasks', { projectId: project.id, title: 'missed 2' });
    // Wait until both are dispatched (a live client sees them), then resume from `seen`.
    const watcher = await open(bearer(adminA));
    await api(adminA, 'PATCH', `/tasks/${missed2.id}`, { title: 'missed 2, renamed' });
    await watcher.next(isEvent('task.updated', missed2.id), 'dispatch');
    const again = await open(bearer(adminA), `?lastEventId=${seen.id}`);
    const ready = again.messages.find((m) => m.type === 'ready')!;
    const replayed = again.messages.slice(0, again.messages.indexOf(ready));
    expect(replayed.map((m) => m.payload?.id)).toEqual(expect.arrayContaining([missed1.id, missed2.id]));
    expect(ready.resumed).toBe(replayed.length);
    expect(replayed.some((m) => m.id === seen.id)).toBe(false);
    // An id the server does not know: reload.
    const lost = await open(bearer(adminA), '?lastEventId=0190a000-0000-7000-8000-000000000000');
    expect(lost.messages[0]).toEqual({ type: 'reload', reason: 'unknown-event' });
    // Further behind than WS_RESUME_LIMIT (10): reload.
    for (let i = 0; i < 12; i++)
      await api(adminA, 'POST', '/tasks', { projectId: project.id, title: `bulk ${i}` });
    const end = await api(adminA, 'PATCH', `/projects/${project.id}`, { description: 'end' });
    await watcher.next(isEvent('project.updated', end.id), 'dispatch of the bulk');
    const far = await open(bearer(adminA), `?lastEventId=${seen.id}`);
    expect(far.messages[0]).toEqual({ type: 'reload', reason: 'too-far-behind' });
  });

  it('closes the connection of a removed member at once (4401), after telling them', async () => {
    const member = await addMember(t, adminA, 'user');
    const c = await open(bearer(member));
    const res = await t.request({
      method: 'GET',
      url: `/api/v1/members?user_id=${member.userId}`,
      headers: adminA.headers,
    });
    const membership = res.json().items[0];
    await api(adminA, 'DELETE', `/members/${membership.id}`);
    const closed = await c.closed;
    expect(closed.code).toBe(4401);
    expect(c.messages.some((m) => m.type === 'member.removed' && m.payload?.id === member.userId)).toBe(true);
    const error = c.messages.find((m) => m.type === 'error') as { problem: { type: string } } | undefined;
    expect(error?.problem.type).toMatch(/^urn:bul:error:/);
  });
});

describe('/ws revocation and forgery', () => {
  async function membershipOf(s: Session): Promise<{ id: string }> {
    const res = await t.request({
      method: 'GET',
      url: `/api/v1/members?user_id=${s.userId}`,
      headers: adminA.headers,
    });
    return res.json().items[0];
  }

  it('sends nothing committed after a removal or a demotion with the permissions the member had, even in one dispatched batch', async () => {
    const removed = await addMember(t, adminA, 'developer');
    const demoted = await addMember(t, adminA, 'org_admin');
    const cRemoved = await open(bearer(removed));
    const cDemoted = await open(bearer(demoted));
    const admin = await open(bearer(adminA));
    const roles = (await t.request({ method: 'GET', url: '/api/v1/roles', headers: adminA.headers })).json();
    const developer = roles.items.find((r: { key: string }) => r.key === 'developer');
    // The worker is stopped: the changes and the writes after them are dispatched together.
    await stopEvents();
    await api(adminA, 'DELETE', `/members/${(await membershipOf(removed)).id}`);
    await api(adminA, 'PATCH', `/members/${(await membershipOf(demoted)).id}`, { roleId: developer.id });
    const project = await api(adminA, 'POST', '/projects', { name: 'After the removal' });
    const client = await api(adminA, 'POST', '/clients', { name: 'After the demotion' });
    const deal = await api(adminA, 'POST', '/deals', {
      title: 'Not for developers',
      clientId: client.id,
      amountMinor: 1,
    });
    await startEvents();
    await admin.next(isEvent('deal.created', deal.id), 'the batch, for the admin');
    expect((await cRemoved.closed).code).toBe(4401);
    expect(cRemoved.events().some((m) => m.payload?.id === project.id)).toBe(false);
    await cDemoted.next(isEvent('client.created', client.id), 'the client, which developers read');
    expect(cDemoted.events().some(isEvent('role.changed', demoted.userId))).toBe(true);
    expect(cDemoted.events().some((m) => m.type.startsWith('deal.'))).toBe(false);
  });

  it("does not give an API key its owner's security events (the key has only its scopes)", async () => {
    const key = await api(adminA, 'POST', '/api-keys', { name: 'tasks only', scopes: ['tasks:read'] });
    const viaKey = await open({ authorization: `Bearer ${key.key}` });
    const viaSession = await open(bearer(adminA));
    const failed = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: adminA.email, password: 'not-the-password-1!' },
    });
    expect(failed.statusCode).toBe(401);
    await viaSession.next((m) => m.type === 'security.login_failed', 'the session sees it');
    const project = await api(adminA, 'POST', '/projects', { name: 'after the failed login' });
    const task = await api(adminA, 'POST', '/tasks', { projectId: project.id, title: 'marker' });
    await viaKey.next(isEvent('task.created', task.id), 'the marker through the key');
    expect(viaKey.events().some((m) => m.type.startsWith('security.'))).toBe(false);
  });

  it('ignores messages on the bus without the installation signature (anyone may NOTIFY)', async () => {
    const c = await open(bearer(adminA));
    const forged = (seq: number) =>
      JSON.stringify({
        event: {
          id: '0190a000-0000-7000-8000-000000000001',
          type: 'project.created',
          orgId: adminA.orgId,
          occurredAt: new Date().toISOString(),
          actor: { type: 'user', id: null },
          payload: { id: '0190a000-0000-7000-8000-0000000000ff' },
          seq,
        },
      });
    await t.pool.query("SELECT pg_notify('bul_realtime', $1)", [forged(Number.MAX_SAFE_INTEGER)]);
    await t.pool.query("SELECT pg_notify('bul_realtime', $1)", [`${'A'.repeat(43)}.${forged(9_000_000)}`]);
    const real = await api(adminA, 'POST', '/projects', { name: 'Real' });
    await c.next(isEvent('project.created', real.id), 'the real event');
    expect(c.events().some((m) => m.payload?.id === '0190a000-0000-7000-8000-0000000000ff')).toBe(false);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/bul_realtime_bus_rejected_total [2-9]/);
  });

  it('recovers an event whose bus message was lost, with no later event to show the hole', async () => {
    const c = await open(bearer(adminA));
    const first = await api(adminA, 'POST', '/projects', { name: 'Seen live' });
    await c.next(isEvent('project.created', first.id), 'the first event');
    // A worker whose realtime handler advances without publishing: the message is lost.
    await stopEvents();
    const silent = new EventDispatcher({
      pool: t.pool,
      registry: new EventHandlerRegistry().register(...moduleEventHandlers(composition.eventHandlers()), {
        name: 'realtime',
        events: ['*'],
        handle: async () => {},
      }),
      log: quiet,
      maxAttempts: 3,
      retryBaseMs: 100,
      pollMs: 100,
    });
    await silent.start();
    const lost = await api(adminA, 'POST', '/projects', { name: 'Message lost' });
    await c.next(isEvent('project.created', lost.id), 'the event read back from the outbox', 10_000);
    await silent.stop();
    await startEvents();
  });

  it('refuses more connections of one user on one process than WS_MAX_CONNECTIONS_PER_USER (429)', async () => {
    const member = await addMember(t, adminA, 'user');
    const mine: WsClient[] = [];
    for (let i = 0; i < 25; i++) mine.push(await open(bearer(member)));
    const over = await refused(bearer(member));
    expect(over.status).toBe(429);
    expect(JSON.parse(over.body).detail).toContain('25');
    await mine[0]!.close();
    await open(bearer(member)); // a place came free
  });
});

describe('/ws bad input', () => {
  it('answers a malformed subscription with field errors in the caller language and keeps the connection', async () => {
    const c = await open({ ...bearer(adminA), 'accept-language': 'es' });
    c.send({ type: 'subscribe', resource: 'spaceship', resourceId: 'x', events: ['nope.*'], colour: 'red' });
    const err = (await c.next((m) => m.type === 'error', 'error')) as unknown as {
      problem: { type: string; status: number; errors: { field: string; rule: string; message: string }[] };
    };
    expect(err.problem.type).toBe('urn:bul:error:validation-failed');
    expect(err.problem.errors.map((e) => e.field).sort()).toEqual([
      'colour',
      'events',
      'resource',
      'resourceId',
    ]);
    expect(err.problem.errors.find((e) => e.field === 'resourceId')!.message).toBe('debe ser un UUID válido');
    c.send({ type: 'unsubscribe', subscription: 'never' });
    await c.next((m) => m.type === 'error' && (m.problem as { status: number }).status === 404, 'not found');
    c.send({ type: 'dance' });
    await c.next((m) => m.type === 'error' && JSON.stringify(m).includes('"field":"type"'), 'unknown type');
    c.send({ type: 'ping' });
    await c.next((m) => m.type === 'pong', 'pong');
  });

  it('closes on a message that is not JSON (4400), a subscription to another organization (4403) and a flood (4429); the server keeps serving', async () => {
    const a = await open(bearer(adminA));
    a.send('this is not json');
    expect(await a.closed).toEqual({ code: 4400, reason: 'message is not a JSON object' });
    expect(a.messages.some((m) => m.type === 'error')).toBe(true);

    const b = await open(bearer(adminA));
    b.send({ type: 'subscribe', organizationId: adminB.orgId });
    expect((await b.closed).code).toBe(4403);

    const c = await open(bearer(adminA));
    for (let i = 0; i < 40; i++) c.send({ type: 'ping' });
    expect((await c.closed).code).toBe(4429);

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const code of [4400, 4403, 4429])
      expect(metrics).toMatch(new RegExp(`bul_websocket_closes_total\\{code="${code}"\\} [1-9]`));
    expect(metrics).toMatch(/bul_websocket_events_sent_total [1-9]/);
    expect(metrics).toMatch(/bul_websocket_connections [1-9]/);
    const d = await open(bearer(adminA));
    const project = await api(adminA, 'POST', '/projects', { name: 'Still live' });
    await d.next(isEvent('project.created', project.id), 'an event after the bad clients');
  });

  it('refuses a message over 16 KB by closing (1009)', async () => {
    const c = await open(bearer(adminA));
    c.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(20_000) }));
    expect((await c.closed).code).toBe(1009);
  });
});
