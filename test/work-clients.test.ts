// Work management, clients (issue 3, items 1, 4, 5, 9): CRUD, the status machine with its history
// and dates, owners who must be members, contacts with WhatsApp numbers and messaging consent,
// filtered/searched/sorted lists with keyset cursors, If-Match on every update, permissions and audit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHelpers } from './support/api-helpers.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { addMember, createTestApp, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let admin: Session; // org_admin of organization A
let manager: Session;
let viewer: Session;
let user: Session;
let analyst: Session;
let other: Session; // org_admin of organization B

const { api, rowOf, countOf } = apiHelpers(
  () => t,
  () => admin,
);

async function createClient(s: Session, payload: Record<string, unknown>) {
  const res = await api(s, 'POST', '/clients', payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** The stored row as JSON text (to prove a refused write changed nothing). */
async function auditOf(resourceType: string, resourceId: string) {
  const res = await api(
    admin,
    'GET',
    `/audit/search?resource_type=${resourceType}&resource_id=${resourceId}&limit=200`,
  );
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as {
    action: string;
    actor: { id: string | null };
    changes: Record<string, { before: unknown; after: unknown }> | null;
    metadata: Record<string, unknown> | null;
  }[];
}

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'Clients A' });
  await t.owner("UPDATE organizations SET plan_id = 'enterprise' WHERE id = $1", [admin.orgId]);
  manager = await addMember(t, admin, 'manager');
  viewer = await addMember(t, admin, 'viewer');
  user = await addMember(t, admin, 'user');
  analyst = await addMember(t, admin, 'analyst');
  other = await signUp(t, { orgName: 'Clients B' });
});

afterAll(async () => {
  await t?.close();
});

// ---- CRUD ---------------------------------------------------------------------------------------

describe('clients: create, read, update, delete', () => {
  it('creates a client as a lead by default, with leadAt, a first history row and version 1', async () => {
    const before = Date.now();
    const c = await createClient(manager, {
      name: 'Acme Corp',
      email: 'hello@acme.example',
      phone: '+1 (555) 010-0000',
      website: 'https://acme.example',
      notes: 'Met at the fair',
      tags: ['retail', 'vip'],
      ownerId: manager.userId,
    });
    expect(c).toMatchObject({
      name: 'Acme Corp',
      status: 'lead',
      email: 'hello@acme.example',
      phone: '+1 (555) 010-0000',
      website: 'https://acme.example',
      notes: 'Met at the fair',
      tags: ['retail', 'vip'],
      ownerId: manager.userId,
      activeAt: null,
      churnedAt: null,
      version: 1,
    });
    expect(Date.parse(c.leadAt)).toBeGreaterThanOrEqual(before - 5000);
    expect(c.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.createdAt).toBeTruthy();
    expect(c.updatedAt).toBeTruthy();

    const got = await api(viewer, 'GET', `/clients/${c.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(c);
    expect(got.headers.etag).toBe('"1"');

    const history = await api(viewer, 'GET', `/clients/${c.id}/status-history`);
    expect(history.statusCode).toBe(200);
    expect(history.json().items).toEqual([
      expect.objectContaining({ fromStatus: null, toStatus: 'lead', changedBy: manager.userId }),
    ]);
  });

  it('creates a client straight as active (activeAt set, leadAt empty)', async () => {
    const c = await createClient(admin, { name: 'Direct Deal Ltd', status: 'active' });
    expect(c.status).toBe('active');
    expect(c.activeAt).toBeTruthy();
    expect(c.leadAt).toBeNull();
  });

  it('updates fields, bumps the version and keeps the status history untouched', async () => {
    const c = await createClient(manager, { name: 'Beta', tags: ['x'] });
    const res = await api(manager, 'PATCH', `/clients/${c.id}`, {
      name: 'Beta Industries',
      notes: 'renamed',
      tags: ['y', 'z'],
      email: null,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Beta Industries',
      notes: 'renamed',
      tags: ['y', 'z'],
      version: 2,
    });
    expect((await api(viewer, 'GET', `/clients/${c.id}/status-history`)).json().items).toHaveLength(1);
  });

  it('answers a PATCH that changes nothing with the unchanged client (no new version, no audit event)', async () => {
    const c = await createClient(manager, { name: 'Same Same' });
    const res = await api(manager, 'PATCH', `/clients/${c.id}`, { name: 'Same Same', status: 'lead' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().version).toBe(1);
    expect((await auditOf('client', c.id)).map((e) => e.action)).toEqual(['client.create']);
  });

  it('deletes a client with its contacts and status history', async () => {
    const c = await createClient(manager, { name: 'Gone Soon' });
    const contact = await api(manager, 'POST', `/clients/${c.id}/contacts`, { name: 'Pat' });
    expect(contact.statusCode).toBe(201);
    const del = await api(manager, 'DELETE', `/clients/${c.id}`);
    expect(del.statusCode, del.body).toBe(204);
    expectProblem(await api(admin, 'GET', `/clients/${c.id}`), 404, 'not-found');
    expect(await countOf('client_contacts', 'client_id = $2', [c.id])).toBe(0);
    expect(await countOf('client_status_changes', 'client_id = $2', [c.id])).toBe(0);
    expectProblem(await api(manager, 'DELETE', `/clients/${c.id}`), 404, 'not-found');
  });

  it('refuses bad bodies with 400 naming the field, and stores nothing', async () => {
    const n = await countOf('clients');
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ name: 'Bad mail', email: 'not-an-email' }, 'email'],
      [{ name: 'Bad site', website: 'not a url' }, 'website'],
      [{ name: 'Bad phone', phone: 'call me maybe' }, 'phone'],
      [{ name: 'Bad status', status: 'prospect' }, 'status'],
      [{ name: 'Bad tag', tags: ['a,b'] }, 'tags[0]'],
      [{ name: 'Extra', colour: 'red' }, 'colour'],
      [{ name: 'Bad owner', ownerId: 'nope' }, 'ownerId'],
    ];
    for (const [payload, field] of cases) {
      const res = await api(manager, 'POST', '/clients', payload);
      const body = expectProblem(res, 400, 'validation-failed');
      const fields = (body.errors as { field: string }[]).map((e) => e.field);
      expect(fields, `${JSON.stringify(payload)} → ${res.body}`).toContain(field);
    }
    expect(await countOf('clients')).toBe(n);
  });

  it('answers 404 for an unknown client id and 400 for an id that is not a UUID', async () => {
    expectProblem(await api(admin, 'GET', '/clients/0190a5b4-0000-7000-8000-000000000000'), 404, 'not-found');
    expectProblem(await api(admin, 'GET', '/clients/123'), 400, 'validation-failed');
  });
});

// ---- status machine -------------------------------------------------------------------------------

describe('clients: status transitions and history', () => {
  it('moves lead → active → churned → active, stamping each date and keeping every move in the history', async () => {
    const c = await createClient(manager, { name: 'Lifecycle Inc' });
    const toActive = await api(manager, 'PATCH', `/clients/${c.id}`, { status: 'active' });
    expect(toActive.statusCode, toActive.body).toBe(200);
    const a = toActive.json();
    expect(a.status).toBe('active');
    expect(a.leadAt).toBe(c.leadAt);
    expect(Date.parse(a.activeAt)).toBeGreaterThanOrEqual(Date.parse(c.leadAt));

    const toChurned = await api(manager, 'PATCH', `/clients/${c.id}`, { status: 'churned' });
    expect(toChurned.statusCode, toChurned.body).toBe(200);
    const ch = toChurned.json();
    expect(ch.status).toBe('churned');
    expect(ch.activeAt).toBe(a.activeAt);
    expect(Date.parse(ch.churnedAt)).toBeGreaterThanOrEqual(Date.parse(a.activeAt));

    await new Promise((r) => setTimeout(r, 5));
    const back = await api(manager, 'PATCH', `/clients/${c.id}`, { status: 'active' });
    expect(back.statusCode, back.body).toBe(200);
    const b = back.json();
    expect(b.status).toBe('active');
    expect(Date.parse(b.activeAt)).toBeGreaterThan(Date.parse(a.activeAt));
    expect(b.churnedAt).toBe(ch.churnedAt);
    expect(b.version).toBe(4);

    const history = (await api(viewer, 'GET', `/clients/${c.id}/status-history`)).json().items as {
      fromStatus: string | null;
      toStatus: string;
      changedAt: string;
      changedBy: string;
    }[];
    expect(history.map((h) => [h.fromStatus, h.toStatus])).toEqual([
      [null, 'lead'],
      ['lead', 'active'],
      ['active', 'churned'],
      ['churned', 'active'],
    ]);
    expect(history.every((h) => h.changedBy === manager.userId)).toBe(true);
    expect(history[1]!.changedAt).toBe(a.activeAt);
    expect(history[2]!.changedAt).toBe(ch.churnedAt);
    expect(history[3]!.changedAt).toBe(b.activeAt);
  });

  it('lets a lead be lost (lead → churned)', async () => {
    const c = await createClient(manager, { name: 'Lost Lead' });
    const res = await api(manager, 'PATCH', `/clients/${c.id}`, { status: 'churned' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().churnedAt).toBeTruthy();
    expect(res.json().activeAt).toBeNull();
  });

  it('refuses every move outside the table with 409 invalid-transition naming the allowed moves, changing nothing', async () => {
    const expected: Record<string, string[]> = {
      lead: ['active', 'churned'],
      active: ['churned'],
      churned: ['active'],
    };
    const refused: [string, string][] = [
      ['active', 'lead'],
      ['churned', 'lead'],
    ];
    for (const [from, to] of refused) {
      const c = await createClient(manager, { name: `Stuck ${from}`, status: from });
      const row = await rowOf('clients', c.id);
      const historyRows = await countOf('client_status_changes', 'client_id = $2', [c.id]);
      const res = await api(manager, 'PATCH', `/clients/${c.id}`, { status: to, name: 'Renamed too' });
      const body = expectProblem(res, 409, 'invalid-transition');
      expect(body.allowedMoves).toEqual(expected[from]);
      expect(body.from).toBe(from);
      expect(body.to).toBe(to);
      expect(body.detail).toContain(expected[from]!.join(', '));
      expect(await rowOf('clients', c.id)).toBe(row);
      expect(await countOf('client_status_changes', 'client_id = $2', [c.id])).toBe(historyRows);
    }
  });

  it('answers 404 for the history of an unknown client', async () => {
    expectProblem(
      await api(admin, 'GET', '/clients/0190a5b4-0000-7000-8000-000000000001/status-history'),
      404,
      'not-found',
    );
  });
});

// ---- owner ------------------------------------------------------------------------------------------

describe('clients: owner must be a member', () => {
  it('accepts a member as owner and refuses a user of another organization with 400 naming ownerId', async () => {
    const n = await countOf('clients');
    const res = await api(manager, 'POST', '/clients', { name: 'Foreign Owner', ownerId: other.userId });
    const body = expectFieldError(res, 'ownerId');
    expect(body.errors[0].rule).toBe('member');
    expect(await countOf('clients')).toBe(n);

    const unknown = await api(manager, 'POST', '/clients', {
      name: 'Ghost Owner',
      ownerId: '0190a5b4-0000-7000-8000-0000000000aa',
    });
    expectFieldError(unknown, 'ownerId');
    expect(await countOf('clients')).toBe(n);

    const c = await createClient(manager, { name: 'Owned', ownerId: user.userId });
    expect(c.ownerId).toBe(user.userId);
    const row = await rowOf('clients', c.id);
    expectFieldError(await api(manager, 'PATCH', `/clients/${c.id}`, { ownerId: other.userId }), 'ownerId');
    expect(await rowOf('clients', c.id)).toBe(row);

    const cleared = await api(manager, 'PATCH', `/clients/${c.id}`, { ownerId: null });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json().ownerId).toBeNull();
  });
});

// ---- contacts ---------------------------------------------------------------------------------------

describe('clients: contacts', () => {
  let clientId: string;

  beforeAll(async () => {
    clientId = (await createClient(manager, { name: 'Contactful' })).id;
  });

  it('adds, lists, changes and deletes contacts', async () => {
    const res = await api(manager, 'POST', `/clients/${clientId}/contacts`, {
      name: 'Zoe Buyer',
      title: 'Head of purchasing',
      email: 'zoe@contactful.example',
      phone: '+44 20 7946 0000',
      whatsapp: '+447911123456',
    });
    expect(res.statusCode, res.body).toBe(201);
    const zoe = res.json();
    expect(zoe).toMatchObject({
      clientId,
      name: 'Zoe Buyer',
      title: 'Head of purchasing',
      whatsapp: '+447911123456',
      messagingConsent: false,
      consentAt: null,
      consentSource: null,
      version: 1,
    });
    const amy = (await api(manager, 'POST', `/clients/${clientId}/contacts`, { name: 'amy Admin' })).json();

    const list = await api(viewer, 'GET', `/clients/${clientId}/contacts`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((c: { id: string }) => c.id)).toEqual([amy.id, zoe.id]);
    expect(list.json().nextCursor).toBeNull();

    const upd = await api(manager, 'PATCH', `/clients/${clientId}/contacts/${zoe.id}`, {
      title: 'CFO',
      phone: null,
    });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json()).toMatchObject({ title: 'CFO', phone: null, name: 'Zoe Buyer', version: 2 });

    const del = await api(manager, 'DELETE', `/clients/${clientId}/contacts/${amy.id}`);
    expect(del.statusCode).toBe(204);
    expect((await api(viewer, 'GET', `/clients/${clientId}/contacts`)).json().items).toHaveLength(1);
    expectProblem(await api(manager, 'DELETE', `/clients/${clientId}/contacts/${amy.id}`), 404, 'not-found');
  });

  it('does not reach a contact through another client id (404, unchanged)', async () => {
    const c = (await api(manager, 'POST', `/clients/${clientId}/contacts`, { name: 'Only Here' })).json();
    const elsewhere = await createClient(manager, { name: 'Elsewhere' });
    const row = await rowOf('client_contacts', c.id);
    expectProblem(
      await api(manager, 'PATCH', `/clients/${elsewhere.id}/contacts/${c.id}`, { name: 'Moved' }),
      404,
      'not-found',
    );
    expectProblem(
      await api(manager, 'DELETE', `/clients/${elsewhere.id}/contacts/${c.id}`),
      404,
      'not-found',
    );
    expect(await rowOf('client_contacts', c.id)).toBe(row);
    expectProblem(
      await api(manager, 'POST', '/clients/0190a5b4-0000-7000-8000-0000000000bb/contacts', { name: 'x' }),
      404,
      'not-found',
    );
  });

  it('refuses a WhatsApp number that is not E.164 with 400 naming whatsapp, storing nothing', async () => {
    const n = await countOf('client_contacts');
    for (const whatsapp of [
      '447911123456',
      '+0447911123456',
      '+12345',
      '+44 7911 123456',
      '+1234567890123456',
    ]) {
      const res = await api(manager, 'POST', `/clients/${clientId}/contacts`, {
        name: 'Bad Phone',
        whatsapp,
      });
      expectFieldError(res, 'whatsapp');
    }
    expect(await countOf('client_contacts')).toBe(n);
    const ok = await api(manager, 'POST', `/clients/${clientId}/contacts`, {
      name: 'Good Phone',
      whatsapp: '+5511987654321',
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const row = await rowOf('client_contacts', ok.json().id);
    expectFieldError(
      await api(manager, 'PATCH', `/clients/${clientId}/contacts/${ok.json().id}`, {
        whatsapp: '011987654321',
      }),
      'whatsapp',
    );
    expect(await rowOf('client_contacts', ok.json().id)).toBe(row);
  });

  it('needs consentSource for messaging consent (400), defaults consentAt to now, keeps a given consentAt', async () => {
    const n = await countOf('client_contacts');
    const refused = await api(manager, 'POST', `/clients/${clientId}/contacts`, {
      name: 'No Source',
      messagingConsent: true,
    });
    expect(expectFieldError(refused, 'consentSource').errors[0].rule).toBe('required');
    expect(await countOf('client_contacts')).toBe(n);

    const future = await api(manager, 'POST', `/clients/${clientId}/contacts`, {
      name: 'Future',
      messagingConsent: true,
      consentSource: 'web form',
      consentAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expectFieldError(future, 'consentAt');
    expect(await countOf('client_contacts')).toBe(n);

    const before = Date.now();
    const given = await api(manager, 'POST', `/clients/${clientId}/contacts`, {
      name: 'Consenting',
      whatsapp: '+14155550100',
      messagingConsent: true,
      consentSource: 'web form',
    });
    expect(given.statusCode, given.body).toBe(201);
    const c = given.json();
    expect(c.messagingConsent).toBe(true);
    expect(c.consentSource).toBe('web form');
    expect(Date.parse(c.consentAt)).toBeGreaterThanOrEqual(before - 5000);
    expect(Date.parse(c.consentAt)).toBeLessThanOrEqual(Date.now() + 5000);

    const at = '2024-03-01T10:00:00.000Z';
    const dated = await api(manager, 'POST', `/clients/${clientId}/contacts`, {
      name: 'Dated',
      messagingConsent: true,
      consentSource: 'phone call',
      consentAt: at,
    });
    expect(dated.statusCode, dated.body).toBe(201);
    expect(dated.json().consentAt).toBe(at);
  });

  it('gives consent later by PATCH (source needed), and withdrawing consent clears its date and source', async () => {
    const c = (await api(manager, 'POST', `/clients/${clientId}/contacts`, { name: 'Later' })).json();
    const row = await rowOf('client_contacts', c.id);
    expectFieldError(
      await api(manager, 'PATCH', `/clients/${clientId}/contacts/${c.id}`, { messagingConsent: true }),
      'consentSource',
    );
    expect(await rowOf('client_contacts', c.id)).toBe(row);

    const given = await api(manager, 'PATCH', `/clients/${clientId}/contacts/${c.id}`, {
      messagingConsent: true,
      consentSource: 'e-mail reply',
    });
    expect(given.statusCode, given.body).toBe(200);
    expect(given.json().consentAt).toBeTruthy();

    // Another change keeps the consent date.
    const renamed = await api(manager, 'PATCH', `/clients/${clientId}/contacts/${c.id}`, {
      name: 'Later Still',
    });
    expect(renamed.json().consentAt).toBe(given.json().consentAt);
    expect(renamed.json().consentSource).toBe('e-mail reply');

    const withdrawn = await api(manager, 'PATCH', `/clients/${clientId}/contacts/${c.id}`, {
      messagingConsent: false,
    });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(withdrawn.json()).toMatchObject({ messagingConsent: false, consentAt: null, consentSource: null });
    const stored = await t.owner('SELECT consent_at, consent_source FROM client_contacts WHERE id = $1', [
      c.id,
    ]);
    expect(stored.rows[0]).toEqual({ consent_at: null, consent_source: null });

    const events = await auditOf('client_contact', c.id);
    const consentEvents = events.filter((e) => e.action === 'client_contact.consent_change');
    expect(consentEvents).toHaveLength(2);
    expect(consentEvents[0]!.changes!.messaging_consent).toEqual({ before: true, after: false });
    expect(consentEvents[0]!.changes!.consent_source).toEqual({ before: 'e-mail reply', after: null });
  });
});

// ---- lists ------------------------------------------------------------------------------------------

describe('clients: list filters, search, sorting and cursors', () => {
  const tag = 'listed';
  let ids: Record<string, string>;

  beforeAll(async () => {
    ids = {};
    const specs: [string, Record<string, unknown>][] = [
      ['Delta Dynamics', { status: 'lead', ownerId: manager.userId, notes: 'zebra crossing project' }],
      ['alpha Analytics', { status: 'active', ownerId: user.userId }],
      [
        'Charlie Cargo',
        { status: 'active', ownerId: manager.userId, email: 'ops@cargo.example', notes: 'Zebra' },
      ],
      ['Bravo Bakery', { status: 'churned' }],
      ['Echo Energy', { status: 'lead', notes: 'interested in solar' }],
    ];
    for (const [name, extra] of specs) {
      const c = await createClient(manager, {
        name,
        tags: [tag, name.split(' ')[0]!.toLowerCase()],
        ...extra,
      });
      ids[name] = c.id;
    }
    await createClient(manager, { name: 'Untagged Zebra' });
  });

  async function list(query: string, s: Session = viewer) {
    const res = await api(s, 'GET', `/clients?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: { id: string; name: string }[]; nextCursor: string | null };
  }
  const names = (page: { items: { name: string }[] }) => page.items.map((i) => i.name);

  it('filters by tag, status and owner, and combines them', async () => {
    expect(names(await list(`tag=${tag}&sort=name`))).toEqual([
      'alpha Analytics',
      'Bravo Bakery',
      'Charlie Cargo',
      'Delta Dynamics',
      'Echo Energy',
    ]);
    expect(names(await list(`tag=${tag}&status=active&sort=name`))).toEqual([
      'alpha Analytics',
      'Charlie Cargo',
    ]);
    expect(names(await list(`tag=${tag}&status=lead&sort=name`))).toEqual(['Delta Dynamics', 'Echo Energy']);
    expect(names(await list(`tag=${tag}&ownerId=${manager.userId}&sort=name`))).toEqual([
      'Charlie Cargo',
      'Delta Dynamics',
    ]);
    expect(names(await list(`tag=${tag}&ownerId=${manager.userId}&status=active`))).toEqual([
      'Charlie Cargo',
    ]);
    expect(names(await list('tag=bravo'))).toEqual(['Bravo Bakery']);
    expect(names(await list('tag=no-such-tag'))).toEqual([]);
  });

  it('searches name, e-mail and notes with full-text q', async () => {
    expect(names(await list('q=zebra&sort=name'))).toEqual([
      'Charlie Cargo',
      'Delta Dynamics',
      'Untagged Zebra',
    ]);
    expect(names(await list(`q=zebra&tag=${tag}&sort=name`))).toEqual(['Charlie Cargo', 'Delta Dynamics']);
    expect(names(await list('q=solar'))).toEqual(['Echo Energy']);
    expect(names(await list('q=bakery'))).toEqual(['Bravo Bakery']);
    // The e-mail address is one token of the search vector.
    expect(names(await list('q=ops%40cargo.example'))).toEqual(['Charlie Cargo']);
    // websearch syntax: OR and quoted phrases.
    expect(names(await list(`q=${encodeURIComponent('solar or bakery')}&sort=name`))).toEqual([
      'Bravo Bakery',
      'Echo Energy',
    ]);
    expect(names(await list(`q=${encodeURIComponent('"zebra crossing"')}`))).toEqual(['Delta Dynamics']);
    expect(names(await list('q=nothing-matches-this'))).toEqual([]);
  });

  it('sorts by name (case-insensitive), -name and createdAt', async () => {
    const asc = names(await list(`tag=${tag}&sort=name`));
    expect(names(await list(`tag=${tag}&sort=-name`))).toEqual([...asc].reverse());
    expect((await list(`tag=${tag}&sort=createdAt`)).items.map((i) => i.id)).toEqual(Object.values(ids));
    expect((await list(`tag=${tag}&sort=-createdAt`)).items.map((i) => i.id)).toEqual(
      Object.values(ids).reverse(),
    );
    expect((await list(`tag=${tag}`)).items.map((i) => i.id)).toEqual(Object.values(ids).reverse());
  });

  /** Walks every page of a sort with limit 2; returns the ids seen and the number of pages. */
  async function walk(sort: string): Promise<{ all: string[]; seen: string[]; pages: number }> {
    const all = (await list(`tag=${tag}&sort=${sort}&limit=200`)).items.map((i) => i.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(
        `tag=${tag}&sort=${sort}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    return { all, seen, pages };
  }

  it('pages through name sorts with cursors: no duplicates, no missing rows, null cursor at the end', async () => {
    for (const sort of ['name', '-name']) {
      const { all, seen, pages } = await walk(sort);
      expect(all).toHaveLength(5);
      expect(seen, sort).toEqual(all);
      expect(pages, sort).toBe(3);
    }
  });

  // Regression: timestamp sort values keep PostgreSQL's microseconds in the cursor (a JS Date would
  // round them to milliseconds and repeat or skip rows created in the same millisecond).
  it('pages through timestamp sorts with cursors without repeating rows', async () => {
    for (const sort of ['createdAt', '-createdAt', 'updatedAt', '-updatedAt']) {
      const { all, seen, pages } = await walk(sort);
      expect(all).toHaveLength(5);
      expect(seen, sort).toEqual(all);
      expect(pages, sort).toBe(3);
    }
  });

  it('refuses a cursor given out for another sort, and a forged cursor, with 400 naming cursor', async () => {
    const first = await list(`tag=${tag}&sort=name&limit=2`);
    expect(first.nextCursor).toBeTruthy();
    expectFieldError(
      await api(viewer, 'GET', `/clients?tag=${tag}&sort=-createdAt&limit=2&cursor=${first.nextCursor}`),
      'cursor',
    );
    for (const forged of [
      'not-a-cursor',
      Buffer.from('{"s":"name"}').toString('base64url'),
      Buffer.from('[1,2,3]').toString('base64url'),
    ]) {
      expectFieldError(await api(viewer, 'GET', `/clients?sort=name&cursor=${forged}`), 'cursor');
    }
    // A well-formed cursor with a value of the wrong type for the sort key is refused, not a 500.
    const wrongType = Buffer.from(
      JSON.stringify({ s: 'createdAt', v: 'not a time', id: '0190a5b4-0000-7000-8000-000000000000' }),
    ).toString('base64url');
    const res = await api(viewer, 'GET', `/clients?sort=createdAt&cursor=${wrongType}`);
    expect(res.statusCode, res.body).toBe(400);
    const badId = Buffer.from(JSON.stringify({ s: 'name', v: 'a', id: 'not-a-uuid' })).toString('base64url');
    const res2 = await api(viewer, 'GET', `/clients?sort=name&cursor=${badId}`);
    expect(res2.statusCode, res2.body).toBe(400);
  });

  it('refuses unknown filters, bad enum values and limits out of range with 400', async () => {
    expectFieldError(await api(viewer, 'GET', '/clients?status=prospect'), 'status');
    expectFieldError(await api(viewer, 'GET', '/clients?sort=email'), 'sort');
    expectFieldError(await api(viewer, 'GET', '/clients?limit=0'), 'limit');
    expectFieldError(await api(viewer, 'GET', '/clients?limit=201'), 'limit');
    expectFieldError(await api(viewer, 'GET', '/clients?ownerId=abc'), 'ownerId');
    expectProblem(await api(viewer, 'GET', '/clients?colour=red'), 400, 'validation-failed');
  });
});

// ---- concurrency ------------------------------------------------------------------------------------

describe('clients: If-Match', () => {
  it('refuses a PATCH with a stale If-Match with 412 and changes nothing; a current one succeeds', async () => {
    const c = await createClient(manager, { name: 'Versioned' });
    const v2 = (await api(manager, 'PATCH', `/clients/${c.id}`, { notes: 'one' })).json();
    expect(v2.version).toBe(2);
    const row = await rowOf('clients', c.id);

    const stale = await api(
      manager,
      'PATCH',
      `/clients/${c.id}`,
      { name: 'Lost update' },
      { 'if-match': '"1"' },
    );
    const body = expectProblem(stale, 412, 'precondition-failed');
    expect(body.currentVersion).toBe(2);
    expect(await rowOf('clients', c.id)).toBe(row);

    const got = await api(viewer, 'GET', `/clients/${c.id}`);
    expect(got.headers.etag).toBe(`"${got.json().version}"`);
    expect(got.json().name).toBe('Versioned');

    const ok = await api(
      manager,
      'PATCH',
      `/clients/${c.id}`,
      { name: 'Kept update' },
      { 'if-match': got.headers.etag as string },
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ name: 'Kept update', version: 3 });
    expect((await api(viewer, 'GET', `/clients/${c.id}`)).headers.etag).toBe('"3"');

    // A stale status move is refused too, before the transition rule.
    const statusStale = await api(
      manager,
      'PATCH',
      `/clients/${c.id}`,
      { status: 'active' },
      { 'if-match': '2' },
    );
    expectProblem(statusStale, 412, 'precondition-failed');
    expect((await api(viewer, 'GET', `/clients/${c.id}`)).json().status).toBe('lead');

    expectFieldError(
      await api(manager, 'PATCH', `/clients/${c.id}`, { name: 'x' }, { 'if-match': 'banana' }),
      'if-match',
    );
  });

  it('refuses a DELETE with a stale If-Match (412, still there)', async () => {
    const c = await createClient(manager, { name: 'Delete Versioned' });
    await api(manager, 'PATCH', `/clients/${c.id}`, { notes: 'bump' });
    expectProblem(
      await api(manager, 'DELETE', `/clients/${c.id}`, undefined, { 'if-match': '"1"' }),
      412,
      'precondition-failed',
    );
    expect(await rowOf('clients', c.id)).toBeDefined();
    expect(
      (await api(manager, 'DELETE', `/clients/${c.id}`, undefined, { 'if-match': '"2"' })).statusCode,
    ).toBe(204);
  });

  it('refuses a contact PATCH with a stale If-Match (412, unchanged); the current version succeeds', async () => {
    const c = await createClient(manager, { name: 'Contact Versions' });
    const contact = (await api(manager, 'POST', `/clients/${c.id}/contacts`, { name: 'Vera' })).json();
    await api(manager, 'PATCH', `/clients/${c.id}/contacts/${contact.id}`, { title: 'Boss' });
    const row = await rowOf('client_contacts', contact.id);
    const stale = await api(
      manager,
      'PATCH',
      `/clients/${c.id}/contacts/${contact.id}`,
      { title: 'Intern' },
      { 'if-match': '"1"' },
    );
    expect(expectProblem(stale, 412, 'precondition-failed').currentVersion).toBe(2);
    expect(await rowOf('client_contacts', contact.id)).toBe(row);
    const ok = await api(
      manager,
      'PATCH',
      `/clients/${c.id}/contacts/${contact.id}`,
      { title: 'Director' },
      { 'if-match': '"2"' },
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ title: 'Director', version: 3 });
  });
});

// ---- permissions --------------------------------------------------------------------------------------

describe('clients: permissions', () => {
  it('lets viewer, user and analyst read but not write (403 naming clients:manage); manager and org_admin write', async () => {
    const c = await createClient(admin, { name: 'Guarded' });
    for (const s of [viewer, user, analyst]) {
      expect((await api(s, 'GET', '/clients')).statusCode).toBe(200);
      expect((await api(s, 'GET', `/clients/${c.id}`)).statusCode).toBe(200);
      expect((await api(s, 'GET', `/clients/${c.id}/contacts`)).statusCode).toBe(200);
      expect((await api(s, 'GET', `/clients/${c.id}/status-history`)).statusCode).toBe(200);
      const n = await countOf('clients');
      const body = expectProblem(await api(s, 'POST', '/clients', { name: 'Nope' }), 403, 'forbidden');
      expect(body.permission).toBe('clients:manage');
      expect(await countOf('clients')).toBe(n);
      const row = await rowOf('clients', c.id);
      expectProblem(await api(s, 'PATCH', `/clients/${c.id}`, { name: 'Nope' }), 403, 'forbidden');
      expectProblem(await api(s, 'DELETE', `/clients/${c.id}`), 403, 'forbidden');
      expectProblem(await api(s, 'POST', `/clients/${c.id}/contacts`, { name: 'Nope' }), 403, 'forbidden');
      expect(await rowOf('clients', c.id)).toBe(row);
    }
    expect((await api(manager, 'PATCH', `/clients/${c.id}`, { name: 'Guarded 2' })).statusCode).toBe(200);
    expect((await api(admin, 'PATCH', `/clients/${c.id}`, { name: 'Guarded 3' })).statusCode).toBe(200);
  });

  it('answers 401 without credentials', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/clients' });
    expectProblem(res, 401, 'unauthenticated');
  });
});

// ---- audit ----------------------------------------------------------------------------------------------

describe('clients: audit', () => {
  it('records create, update, status change, contact and delete events with before/after diffs', async () => {
    const c = await createClient(manager, { name: 'Audited', tags: ['a'] });
    await api(manager, 'PATCH', `/clients/${c.id}`, { name: 'Audited Ltd', tags: ['a', 'b'] });
    await api(manager, 'PATCH', `/clients/${c.id}`, { status: 'active' });
    const contact = (await api(manager, 'POST', `/clients/${c.id}/contacts`, { name: 'Aud' })).json();
    await api(manager, 'PATCH', `/clients/${c.id}/contacts/${contact.id}`, { title: 'Chief' });
    await api(manager, 'DELETE', `/clients/${c.id}/contacts/${contact.id}`);

    const events = (await auditOf('client', c.id)).reverse(); // oldest first
    expect(events.map((e) => e.action)).toEqual(['client.create', 'client.update', 'client.status_change']);
    expect(events.every((e) => e.actor.id === manager.userId)).toBe(true);
    expect(events[0]!.changes!.name).toEqual({ before: null, after: 'Audited' });
    expect(events[0]!.changes!.status).toEqual({ before: null, after: 'lead' });
    expect(events[1]!.changes).toEqual({
      name: { before: 'Audited', after: 'Audited Ltd' },
      tags: { before: ['a'], after: ['a', 'b'] },
    });
    expect(events[2]!.changes).toEqual({ status: { before: 'lead', after: 'active' } });

    const contactEvents = (await auditOf('client_contact', contact.id)).reverse();
    expect(contactEvents.map((e) => e.action)).toEqual([
      'client_contact.create',
      'client_contact.update',
      'client_contact.delete',
    ]);
    expect(contactEvents[1]!.changes).toEqual({ title: { before: '', after: 'Chief' } });
    expect(contactEvents[2]!.changes!.name).toEqual({ before: 'Aud', after: null });
    expect(contactEvents[0]!.metadata).toMatchObject({ clientId: c.id });

    await api(manager, 'DELETE', `/clients/${c.id}`);
    const afterDelete = await auditOf('client', c.id);
    expect(afterDelete[0]!.action).toBe('client.delete');
    expect(afterDelete[0]!.changes!.name).toEqual({ before: 'Audited Ltd', after: null });

    const integrity = await api(admin, 'GET', '/audit/integrity');
    expect(integrity.json().ok).toBe(true);
  });

  it('records no event for refused writes', async () => {
    const c = await createClient(manager, { name: 'Quiet', status: 'active' });
    await api(manager, 'PATCH', `/clients/${c.id}`, { status: 'lead' });
    await api(manager, 'PATCH', `/clients/${c.id}`, { ownerId: other.userId });
    await api(manager, 'PATCH', `/clients/${c.id}`, { name: 'x' }, { 'if-match': '"9"' });
    await api(viewer, 'PATCH', `/clients/${c.id}`, { name: 'x' });
    expect((await auditOf('client', c.id)).map((e) => e.action)).toEqual(['client.create']);
  });
});

// ---- archive (issue 14, item 17) ------------------------------------------------------------------

describe('archived clients', () => {
  it('are kept, left out of the list and the export unless asked for, audited, and come back', async () => {
    const lead = await createClient(admin, { name: 'Archive me', status: 'lead' });
    const res = await api(admin, 'PATCH', `/clients/${lead.id}`, { archived: true }, { 'if-match': '"1"' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'lead', archivedAt: expect.any(String), version: 2 });
    // A second archive is no change.
    expect((await api(admin, 'PATCH', `/clients/${lead.id}`, { archived: true })).json().version).toBe(2);

    const ids = async (query: string) =>
      (await api(admin, 'GET', `/clients?limit=200${query}`)).json().items.map((c: { id: string }) => c.id);
    expect(await ids('')).not.toContain(lead.id);
    expect(await ids('&archived=false')).not.toContain(lead.id);
    expect(await ids('&archived=true')).toEqual([lead.id]);
    expect(await ids('&archived=true&status=active')).toEqual([]);
    const exported = async (query: string) =>
      (await api(admin, 'GET', `/clients/export?format=json${query}`))
        .json()
        .map((c: { name: string }) => c.name);
    expect(await exported('')).not.toContain('Archive me');
    expect(await exported('&archived=true')).toEqual(['Archive me']);
    // Still itself when asked for by id.
    expect((await api(admin, 'GET', `/clients/${lead.id}`)).json().archivedAt).toEqual(expect.any(String));

    const back = await api(admin, 'PATCH', `/clients/${lead.id}`, { archived: false });
    expect(back.json()).toMatchObject({ archivedAt: null, version: 3 });
    expect(await ids('')).toContain(lead.id);
    const events = await auditOf('client', lead.id);
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['client.create', 'client.archive', 'client.unarchive']),
    );
    expect(events.find((e) => e.action === 'client.archive')?.changes).toEqual({
      archived: { before: false, after: true },
    });

    // Users without clients:manage cannot archive.
    expectProblem(await api(viewer, 'PATCH', `/clients/${lead.id}`, { archived: true }), 403, 'forbidden');
  });
});
