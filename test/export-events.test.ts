// Exports are audited and evented (issue 17, S8): every list export (work, business, audit; CSV,
// XLSX or JSON) records one `data.export` audit event and one `data.exported` domain event when
// it starts, however many rows it has, naming the resource, format and filters; and 10 exports by
// one user within 10 minutes raise one `mass_export` threat for that user (exports by different
// users do not add up). The event worker runs inline, as in test/security.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THRESHOLDS } from '../src/modules/security/thresholds.ts';
import { composeWorker, startEvents } from './support/event-worker-inline.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
const stops: (() => Promise<void>)[] = [];
let admin: Session;
let analyst: Session;

interface ThreatItem {
  id: string;
  type: string;
  severity: string;
  userId: string | null;
  evidence: Record<string, unknown>;
  occurrences: number;
}

beforeAll(async () => {
  t = await createTestApp({ DEFAULT_PLAN: 'enterprise' });
  stops.push(await startEvents(t, await composeWorker(t)));
  admin = await signUp(t, { orgName: 'Export Watch Co' });
  analyst = await addMember(t, admin, 'analyst');
  for (const name of ['Acme', 'Beta', 'Gamma']) {
    const res = await get(admin, '/clients', 'POST', { name });
    expect(res.statusCode, res.body).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await t?.close();
});

function get(s: Session, url: string, method: 'GET' | 'POST' = 'GET', payload?: Record<string, unknown>) {
  return t.request({ method, url: `/api/v1${url}`, headers: s.headers, ...(payload ? { payload } : {}) });
}

async function exported(s: Session, url: string): Promise<void> {
  const res = await get(s, url);
  expect(res.statusCode, res.body).toBe(200);
}

/** The `data.exported` events and `data.export` audit events of the organization, oldest first. */
async function exportRecords() {
  const events = await t.owner<{ actor_id: string; payload: Record<string, unknown> }>(
    `SELECT actor_id, payload FROM domain_events WHERE org_id = $1 AND type = 'data.exported' ORDER BY emitted`,
    [admin.orgId],
  );
  const audits = await t.owner<{
    actor_id: string;
    resource_type: string;
    resource_id: string;
    metadata: Record<string, unknown>;
  }>(
    `SELECT actor_id, resource_type, resource_id, metadata FROM audit_events
     WHERE org_id = $1 AND action = 'data.export' ORDER BY created_at, id`,
    [admin.orgId],
  );
  return { events: events.rows, audits: audits.rows };
}

async function threats(query: string): Promise<ThreatItem[]> {
  const res = await get(admin, `/security/threats${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

describe('exports are audited and evented', () => {
  it('one audit event and one data.exported event per export (not per row), with resource, format and filters', async () => {
    await exported(admin, '/clients/export?format=csv&status=lead');
    const { events, audits } = await exportRecords();
    expect(events).toHaveLength(1);
    expect(audits).toHaveLength(1);
    const payload = events[0]!.payload;
    expect(payload).toEqual({
      id: expect.any(String),
      resource: 'clients',
      format: 'csv',
      filters: { status: 'lead', archived: false }, // the filters applied: defaults included
    });
    expect(events[0]!.actor_id).toBe(admin.userId);
    expect(audits[0]).toMatchObject({
      actor_id: admin.userId,
      resource_type: 'export',
      resource_id: payload.id,
      metadata: { resource: 'clients', format: 'csv', filters: payload.filters },
    });
  });

  it('work, business and audit exports in every format are recorded alike', async () => {
    await exported(admin, '/tasks/export?format=csv'); // COPY path
    await exported(admin, '/projects/export?format=xlsx');
    await exported(admin, '/invoices/export?format=json');
    await exported(admin, '/audit/export?format=json&action=client');
    const { events, audits } = await exportRecords();
    expect(events.slice(1).map((e) => [e.payload.resource, e.payload.format])).toEqual([
      ['tasks', 'csv'],
      ['projects', 'xlsx'],
      ['invoices', 'json'],
      ['audit', 'json'],
    ]);
    expect(events.at(-1)!.payload.filters).toEqual({ action: 'client' });
    expect(audits.map((a) => a.resource_id)).toEqual(events.map((e) => e.payload.id));
  });
});

describe('mass export', () => {
  it(`${THRESHOLDS.massExportCount} exports by one user within the window → one mass_export threat for that user`, async () => {
    // 5 exports so far by the admin; 5 by another member do not add to theirs.
    for (let i = 0; i < 5; i++) await exported(analyst, '/clients/export?format=json');
    const { events } = await exportRecords();
    expect(events).toHaveLength(10);
    // The worker has handled them all once the analyst's last export is on record as a user action.
    await expect
      .poll(
        async () =>
          (
            await t.owner<{ n: number }>(
              'SELECT count(*)::int AS n FROM security_user_actions WHERE org_id = $1 AND kind = $2',
              [admin.orgId, 'export'],
            )
          ).rows[0]!.n,
        { timeout: 15_000, interval: 100 },
      )
      .toBe(10);
    expect(await threats('?type=mass_export')).toEqual([]);

    for (let i = 0; i < THRESHOLDS.massExportCount - 5; i++)
      await exported(admin, '/deals/export?format=csv');
    await expect
      .poll(async () => (await threats('?type=mass_export')).length, { timeout: 15_000, interval: 100 })
      .toBe(1);
    const [threat] = await threats('?type=mass_export');
    expect(threat).toMatchObject({ severity: 'high', userId: admin.userId, occurrences: 1 });
    expect(threat!.evidence).toMatchObject({
      count: THRESHOLDS.massExportCount,
      windowMinutes: THRESHOLDS.massExportWindowMs / 60_000,
      last: { type: 'data.exported' },
    });

    // One more export adds to the same threat (one burst, one threat).
    await exported(admin, '/deals/export?format=csv');
    await expect
      .poll(async () => (await threats('?type=mass_export'))[0]!.occurrences, {
        timeout: 15_000,
        interval: 100,
      })
      .toBe(2);
    expect(await threats('?type=mass_export')).toHaveLength(1);
  });
});
