// T3: tenant isolation is enforced by the database (row-level security, privileges of the
// application role) and every route that takes an id keeps organizations apart.
import { generateSync } from 'otplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createTestApp,
  type Session,
  signUp,
  type TestApp,
  uniqueEmail,
} from './support/test-app.ts';

let t: TestApp;

/** Tables with an org_id column that are not tenant tables, and why. Anything else is a tenant table. */
const NOT_TENANT_TABLES: Record<string, string> = {
  sessions: 'belongs to a user (org_id is only the default organization of the session)',
  audit_chain_heads: 'the application role has no privilege on it at all',
};

/** The tenant tables the foundation is known to have (new ones are found from the schema too). */
const KNOWN_TENANT_TABLES = [
  'api_keys',
  'audit_events',
  'departments',
  'invitations',
  'ip_rules',
  'memberships',
  'roles',
  'usage_counters',
];

interface Org {
  admin: Session;
  member: Session;
  memberMembershipId: string;
  departmentId: string;
  roleId: string;
  invitationId: string;
  apiKeyId: string;
  ipRuleId: string;
}

let A: Org;
let B: Org;
let tenantTables: string[];

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

async function api(s: Session, method: Method, url: string, payload?: unknown) {
  return t.request({
    method,
    url,
    headers: s.headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function created(s: Session, url: string, payload: unknown): Promise<{ id: string }> {
  const res = await api(s, 'POST', url, payload);
  if (res.statusCode !== 201) throw new Error(`POST ${url} failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

async function enableMfa(s: Session): Promise<void> {
  const setup = await api(s, 'POST', '/api/v1/auth/mfa/setup');
  if (setup.statusCode !== 200) throw new Error(`mfa setup failed: ${setup.body}`);
  const code = generateSync({ secret: setup.json().secret, strategy: 'totp' });
  const enable = await api(s, 'POST', '/api/v1/auth/mfa/enable', { code });
  if (enable.statusCode !== 200) throw new Error(`mfa enable failed: ${enable.body}`);
}

/** An organization with at least one row in every tenant table, all made through the API. */
async function populatedOrg(label: string): Promise<Org> {
  const admin = await signUp(t, { orgName: `Org ${label}` });
  const member = await addMember(t, admin, 'user');
  const memberMembershipId = (
    await t.owner<{ id: string }>('SELECT id FROM memberships WHERE org_id = $1 AND user_id = $2', [
      admin.orgId,
      member.userId,
    ])
  ).rows[0]!.id;
  const department = await created(admin, '/api/v1/departments', { name: `Dept ${label}` });
  const role = await created(admin, '/api/v1/roles', {
    name: `Custom ${label}`,
    permissions: ['members:read'],
  });
  const invitation = await created(admin, '/api/v1/invitations', {
    email: uniqueEmail(`pending-${label}`),
    roleId: role.id,
  });
  const apiKey = await created(admin, '/api/v1/api-keys', {
    name: `Key ${label}`,
    scopes: ['members:read'],
  });
  const ipRule = await created(admin, '/api/v1/ip-rules', {
    cidr: '203.0.113.0/24',
    action: 'deny',
    note: `rule ${label}`,
  });
  await enableMfa(admin); // mfa_recovery_codes rows for this admin
  return {
    admin,
    member,
    memberMembershipId,
    departmentId: department.id,
    roleId: role.id,
    invitationId: invitation.id,
    apiKeyId: apiKey.id,
    ipRuleId: ipRule.id,
  };
}

beforeAll(async () => {
  t = await createTestApp();
  A = await populatedOrg('A');
  B = await populatedOrg('B');
  await t.services.meter.flush(); // usage_counters rows for both organizations
  const { rows } = await t.owner<{ table_name: string }>(
    `SELECT c.table_name FROM information_schema.columns c
     JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
     WHERE c.table_schema = 'public' AND c.column_name = 'org_id' AND tb.table_type = 'BASE TABLE'
     ORDER BY 1`,
  );
  tenantTables = rows.map((r) => r.table_name).filter((n) => !(n in NOT_TENANT_TABLES));
});

afterAll(async () => {
  await t?.close();
});

/** Every row of organization B in every tenant table, as the owner sees it. */
async function snapshotOf(orgId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of tenantTables) {
    const { rows } = await t.owner<{ row: string }>(
      `SELECT to_jsonb(x)::text AS row FROM ${table} x WHERE org_id = $1 ORDER BY 1`,
      [orgId],
    );
    out[table] = rows.map((r) => r.row);
  }
  return out;
}

describe('tenant tables', () => {
  it('finds every known tenant table among the public tables with an org_id column', () => {
    expect(tenantTables).toEqual(expect.arrayContaining(KNOWN_TENANT_TABLES));
    for (const table of Object.keys(NOT_TENANT_TABLES)) expect(tenantTables).not.toContain(table);
  });

  it('has rows of both organizations in every tenant table (so the isolation checks are not vacuous)', async () => {
    for (const table of tenantTables) {
      for (const org of [A, B]) {
        const { rows } = await t.owner<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`,
          [org.admin.orgId],
        );
        expect(rows[0]!.n, `${table} rows of ${org.admin.orgId}`).toBeGreaterThan(0);
      }
    }
  });
});

// ---- route walk ---------------------------------------------------------------------------------

interface Target {
  table: string;
  id: () => string;
  /** A valid body for PATCH (and any other method with a body). */
  body?: Record<string, unknown>;
}

/** Path of every `{id}` route → organization B's resource of that kind. */
const TARGETS: Record<string, Target> = {
  '/api/v1/members/{id}': {
    table: 'memberships',
    id: () => B.memberMembershipId,
    body: { status: 'suspended' },
  },
  '/api/v1/departments/{id}': {
    table: 'departments',
    id: () => B.departmentId,
    body: { name: 'Renamed by A', description: 'changed by A' },
  },
  '/api/v1/roles/{id}': { table: 'roles', id: () => B.roleId, body: { name: 'Renamed by A' } },
  '/api/v1/invitations/{id}': { table: 'invitations', id: () => B.invitationId },
  '/api/v1/api-keys/{id}': { table: 'api_keys', id: () => B.apiKeyId },
  '/api/v1/ip-rules/{id}': { table: 'ip_rules', id: () => B.ipRuleId },
};

/** Routes with `{id}` that are not organization resources. */
const NOT_ORG_RESOURCES = (path: string) =>
  path.startsWith('/api/v1/admin/') || path === '/api/v1/auth/sessions/{id}';

describe('route walk: A acting on B ids', () => {
  it('answers 404 not-found for every {id} route given a resource of another organization, and changes nothing', async () => {
    const doc = (await t.request({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const idPaths = Object.keys(doc.paths).filter(
      (p) => p.startsWith('/api/v1/') && p.includes('{id}') && !NOT_ORG_RESOURCES(p),
    );
    // A new {id} route must get an entry in TARGETS, or this test fails.
    expect(
      idPaths.filter((p) => !(p in TARGETS)),
      '{id} routes without an isolation target',
    ).toEqual([]);
    // ...and every target must still exist as a route (no stale entries).
    expect(Object.keys(TARGETS).filter((p) => !idPaths.includes(p))).toEqual([]);

    const before = await snapshotOf(B.admin.orgId);
    let walked = 0;
    for (const path of idPaths) {
      const target = TARGETS[path]!;
      const id = target.id();
      const rowOf = async () =>
        (
          await t.owner<{ row: string }>(
            `SELECT to_jsonb(x)::text AS row FROM ${target.table} x WHERE org_id = $1 AND id = $2`,
            [B.admin.orgId, id],
          )
        ).rows[0]?.row;
      const original = await rowOf();
      expect(original, `${target.table} row ${id} of B`).toBeDefined();
      for (const method of Object.keys(doc.paths[path]!).map((m) => m.toUpperCase())) {
        if (!['GET', 'HEAD', 'PATCH', 'PUT', 'POST', 'DELETE'].includes(method)) continue;
        const needsBody = method === 'PATCH' || method === 'PUT' || method === 'POST';
        if (needsBody) expect(target.body, `${method} ${path} needs a valid body in TARGETS`).toBeDefined();
        const res = await t.request({
          method: method as 'GET',
          url: path.replace('{id}', id),
          headers: A.admin.headers,
          ...(needsBody ? { payload: target.body } : {}),
        });
        expect(res.statusCode, `${method} ${path}: ${res.body}`).toBe(404);
        if (method !== 'HEAD') {
          expect(res.headers['content-type']).toContain('application/problem+json');
          expect(res.json().type, `${method} ${path}`).toBe('urn:bul:error:not-found');
        }
        expect(await rowOf(), `${method} ${path} left B's row unchanged`).toBe(original);
        walked++;
      }
    }
    expect(walked).toBeGreaterThanOrEqual(12);
    // Nothing of B moved anywhere (no audit event, no other row), apart from request counting.
    const after = await snapshotOf(B.admin.orgId);
    delete before.usage_counters;
    delete after.usage_counters;
    expect(after).toEqual(before);
  });

  it('answers 200 for the same routes acting on A ids (the 404s above come from isolation, not from bad input)', async () => {
    const own: [string, string][] = [
      ['/api/v1/members/{id}', A.memberMembershipId],
      ['/api/v1/departments/{id}', A.departmentId],
      ['/api/v1/roles/{id}', A.roleId],
    ];
    for (const [path, id] of own) {
      const res = await api(A.admin, 'GET', path.replace('{id}', id));
      expect(res.statusCode, path).toBe(200);
      expect(res.json().id).toBe(id);
    }
  });

  it('refuses 400 naming the field when a body carries an id of another organization (roleId, departmentId, parentId of B)', async () => {
    const before = await snapshotOf(A.admin.orgId);
    const cases: [Method, string, Record<string, unknown>, string][] = [
      ['PATCH', `/api/v1/members/${A.memberMembershipId}`, { roleId: B.roleId }, 'roleId'],
      ['PATCH', `/api/v1/members/${A.memberMembershipId}`, { departmentId: B.departmentId }, 'departmentId'],
      ['POST', '/api/v1/invitations', { email: uniqueEmail('cross'), roleId: B.roleId }, 'roleId'],
      [
        'POST',
        '/api/v1/invitations',
        { email: uniqueEmail('cross'), roleId: A.roleId, departmentId: B.departmentId },
        'departmentId',
      ],
      ['POST', '/api/v1/departments', { name: 'Under B', parentId: B.departmentId }, 'parentId'],
      ['PATCH', `/api/v1/departments/${A.departmentId}`, { parentId: B.departmentId }, 'parentId'],
    ];
    for (const [method, url, payload, field] of cases) {
      const res = await api(A.admin, method, url, payload);
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)}: ${res.body}`).toBe(400);
      expect(res.json().type).toBe('urn:bul:error:validation-failed');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const after = await snapshotOf(A.admin.orgId);
    delete before.usage_counters;
    delete after.usage_counters;
    expect(after).toEqual(before);
  });

  it('refuses 403 forbidden when A names organization B in X-Organization-ID', async () => {
    const res = await t.request({
      method: 'GET',
      url: `/api/v1/departments/${B.departmentId}`,
      headers: { ...A.admin.headers, 'x-organization-id': B.admin.orgId },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().type).toBe('urn:bul:error:forbidden');
  });

  it('does not list B rows in A lists', async () => {
    const lists: [string, string][] = [
      ['/api/v1/members', B.memberMembershipId],
      ['/api/v1/departments', B.departmentId],
      ['/api/v1/roles', B.roleId],
      ['/api/v1/invitations', B.invitationId],
      ['/api/v1/api-keys', B.apiKeyId],
      ['/api/v1/ip-rules', B.ipRuleId],
    ];
    for (const [url, bId] of lists) {
      const res = await api(A.admin, 'GET', url);
      expect(res.statusCode, url).toBe(200);
      const ids = (res.json().items as { id: string }[]).map((i) => i.id);
      expect(ids.length, url).toBeGreaterThan(0);
      expect(ids, url).not.toContain(bId);
    }
    const audit = await api(A.admin, 'GET', '/api/v1/audit/search?limit=200');
    expect(audit.statusCode).toBe(200);
    const bEvents = await t.owner<{ id: string }>('SELECT id FROM audit_events WHERE org_id = $1', [
      B.admin.orgId,
    ]);
    const seen = new Set((audit.json().items as { id: string }[]).map((e) => e.id));
    for (const e of bEvents.rows) expect(seen.has(e.id)).toBe(false);
  });
});

// ---- the database itself --------------------------------------------------------------------------

async function appClient(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: t.appUrl });
  await c.connect();
  return c;
}

/** Runs a statement that must fail with `code`, inside a savepoint so the transaction goes on. */
async function expectSqlError(c: pg.Client, sql: string, params: unknown[], code: string): Promise<void> {
  await c.query('SAVEPOINT probe');
  let error: { code?: string; message?: string } | null = null;
  try {
    await c.query(sql, params);
  } catch (err) {
    error = err as { code?: string };
  }
  await c.query('ROLLBACK TO SAVEPOINT probe');
  expect(error, `${sql} should fail with ${code}`).not.toBeNull();
  expect(error!.code, `${sql}: ${error!.message}`).toBe(code);
}

async function actingAs(
  orgId: string | null,
  userId: string | null,
  work: (c: pg.Client) => Promise<void>,
): Promise<void> {
  const c = await appClient();
  try {
    await c.query('BEGIN');
    if (orgId) await c.query("SELECT set_config('app.org_id', $1, true)", [orgId]);
    if (userId) await c.query("SELECT set_config('app.user_id', $1, true)", [userId]);
    await work(c);
    await c.query('ROLLBACK');
  } finally {
    await c.end();
  }
}

describe('row-level security without WHERE', () => {
  it('shows only A rows in every tenant table to a query with no WHERE, though B rows exist', async () => {
    await actingAs(A.admin.orgId, null, async (c) => {
      for (const table of tenantTables) {
        const { rows } = await c.query<{ org_id: string }>(`SELECT org_id FROM ${table}`);
        expect(rows.length, `${table} rows visible to A`).toBeGreaterThan(0);
        expect(new Set(rows.map((r) => r.org_id)), table).toEqual(new Set([A.admin.orgId]));
        const owner = await t.owner<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`,
          [B.admin.orgId],
        );
        expect(owner.rows[0]!.n, `${table} has B rows`).toBeGreaterThan(0);
      }
    });
  });

  it('shows no tenant row at all when no organization is set', async () => {
    await actingAs(null, null, async (c) => {
      for (const table of tenantTables) {
        const { rows } = await c.query(`SELECT org_id FROM ${table}`);
        expect(rows.length, table).toBe(0);
      }
      const orgs = await c.query('SELECT id FROM organizations');
      expect(orgs.rows).toEqual([]);
    });
  });

  it('shows only organization A itself in organizations', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      const { rows } = await c.query<{ id: string }>('SELECT id FROM organizations');
      expect(rows.map((r) => r.id)).toEqual([A.admin.orgId]);
    });
  });

  it('refuses with 42501 an INSERT of a row carrying B org_id while acting as A', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(
        c,
        "INSERT INTO departments (org_id, id, name) VALUES ($1, gen_random_uuid(), 'smuggled')",
        [B.admin.orgId],
        '42501',
      );
      await expectSqlError(
        c,
        "INSERT INTO ip_rules (org_id, id, cidr, action) VALUES ($1, gen_random_uuid(), '198.51.100.0/24', 'deny')",
        [B.admin.orgId],
        '42501',
      );
      await expectSqlError(
        c,
        `INSERT INTO audit_events (org_id, id, seq, created_at, actor_type, action, prev_hash, hash)
         VALUES ($1, gen_random_uuid(), 0, now(), 'system', 'forged', '', '')`,
        [B.admin.orgId],
        '42501',
      );
      // Moving an A row into B is refused too.
      await expectSqlError(
        c,
        'UPDATE departments SET org_id = $1 WHERE id = $2',
        [B.admin.orgId, A.departmentId],
        '42501',
      );
      // UPDATE and DELETE of B rows find nothing.
      const upd = await c.query("UPDATE departments SET name = 'x' WHERE id = $1", [B.departmentId]);
      expect(upd.rowCount).toBe(0);
      const del = await c.query('DELETE FROM ip_rules WHERE id = $1', [B.ipRuleId]);
      expect(del.rowCount).toBe(0);
    });
    const stillThere = await t.owner('SELECT 1 FROM ip_rules WHERE org_id = $1 AND id = $2', [
      B.admin.orgId,
      B.ipRuleId,
    ]);
    expect(stillThere.rowCount).toBe(1);
  });
});

describe('per-user tables', () => {
  it('shows only the members of A in users when acting as A admin', async () => {
    const members = await t.owner<{ user_id: string }>('SELECT user_id FROM memberships WHERE org_id = $1', [
      A.admin.orgId,
    ]);
    const all = await t.owner<{ n: number }>('SELECT count(*)::int AS n FROM users');
    expect(all.rows[0]!.n).toBeGreaterThan(members.rowCount!);
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      const { rows } = await c.query<{ id: string }>('SELECT * FROM users');
      expect(rows.map((r) => r.id).sort()).toEqual(members.rows.map((r) => r.user_id).sort());
      expect(rows.map((r) => r.id)).not.toContain(B.admin.userId);
      expect(rows.map((r) => r.id)).not.toContain(B.member.userId);
    });
  });

  it('shows only the own rows of app.user_id in sessions, refresh_tokens and mfa_recovery_codes', async () => {
    for (const table of ['sessions', 'refresh_tokens', 'mfa_recovery_codes']) {
      const own = await t.owner<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [
        A.admin.userId,
      ]);
      const others = await t.owner<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE user_id <> $1`,
        [A.admin.userId],
      );
      expect(own.rows[0]!.n, `${table} rows of A admin`).toBeGreaterThan(0);
      expect(others.rows[0]!.n, `${table} rows of others`).toBeGreaterThan(0);
      await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
        const { rows } = await c.query<{ user_id: string }>(`SELECT user_id FROM ${table}`);
        expect(rows.length, table).toBe(own.rows[0]!.n);
        expect(new Set(rows.map((r) => r.user_id)), table).toEqual(new Set([A.admin.userId]));
      });
      // A member of the same organization does not see the admin's rows either.
      await actingAs(A.admin.orgId, A.member.userId, async (c) => {
        const { rows } = await c.query<{ user_id: string }>(`SELECT user_id FROM ${table}`);
        expect(rows.map((r) => r.user_id)).not.toContain(A.admin.userId);
      });
    }
  });
});

describe('privileges of the application role', () => {
  it('owns no table, is not superuser and cannot bypass row-level security', async () => {
    const c = await appClient();
    try {
      const me = (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
      expect(me).toBe(t.config.databaseAppRole);
      const owned = await c.query(
        `SELECT schemaname, tablename, tableowner FROM pg_tables
         WHERE tableowner = current_user OR pg_has_role(current_user, tableowner, 'MEMBER')`,
      );
      expect(owned.rows).toEqual([]);
      const roles = await c.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
        `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles
         WHERE rolname = current_user OR pg_has_role(current_user, oid, 'MEMBER')`,
      );
      expect(roles.rows.map((r) => r.rolname)).toContain(me);
      for (const r of roles.rows) {
        expect(r.rolsuper, `${r.rolname} superuser`).toBe(false);
        expect(r.rolbypassrls, `${r.rolname} bypassrls`).toBe(false);
      }
      // Every tenant table really has row-level security switched on.
      const rls = await c.query<{ relname: string; relrowsecurity: boolean }>(
        "SELECT relname, relrowsecurity FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1)",
        [tenantTables],
      );
      expect(rls.rows.length).toBe(tenantTables.length);
      for (const r of rls.rows) expect(r.relrowsecurity, r.relname).toBe(true);
    } finally {
      await c.end();
    }
  });

  it('cannot UPDATE or DELETE audit_events (42501)', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(c, "UPDATE audit_events SET action = 'tampered'", [], '42501');
      await expectSqlError(c, 'DELETE FROM audit_events', [], '42501');
      await expectSqlError(c, 'TRUNCATE audit_events', [], '42501');
    });
  });

  it('cannot read or write audit_chain_heads (42501)', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(c, 'SELECT * FROM audit_chain_heads', [], '42501');
      await expectSqlError(
        c,
        "UPDATE audit_chain_heads SET last_hash = repeat('0', 64) WHERE org_id = $1",
        [A.admin.orgId],
        '42501',
      );
      await expectSqlError(
        c,
        "INSERT INTO audit_chain_heads (org_id, last_seq, last_hash) VALUES (gen_random_uuid(), 0, '')",
        [],
        '42501',
      );
      await expectSqlError(c, 'DELETE FROM audit_chain_heads', [], '42501');
    });
  });

  it('cannot set users.is_super_admin, not even on its own user (42501)', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(
        c,
        'UPDATE users SET is_super_admin = true WHERE id = $1',
        [A.admin.userId],
        '42501',
      );
      await expectSqlError(
        c,
        "INSERT INTO users (id, email, name, is_super_admin) VALUES ($1, 'x@example.com', 'x', true)",
        [A.admin.userId],
        '42501',
      );
    });
    const { rows } = await t.owner<{ s: boolean }>('SELECT is_super_admin AS s FROM users WHERE id = $1', [
      A.admin.userId,
    ]);
    expect(rows[0]!.s).toBe(false);
  });

  it('cannot call bul_audit_verify(uuid) directly (42501)', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(c, 'SELECT * FROM bul_audit_verify($1)', [B.admin.orgId], '42501');
      // The narrow door verifies only the organization acted for.
      const { rows } = await c.query<{ ok: boolean; checked: number }>(
        'SELECT * FROM bul_audit_verify_current()',
      );
      expect(rows[0]!.ok).toBe(true);
      const aEvents = await t.owner<{ n: number }>(
        'SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1',
        [A.admin.orgId],
      );
      expect(rows[0]!.checked).toBe(aEvents.rows[0]!.n);
    });
  });

  it('cannot CREATE TABLE in the public schema (42501)', async () => {
    await actingAs(A.admin.orgId, A.admin.userId, async (c) => {
      await expectSqlError(c, 'CREATE TABLE public.sneaky (id int)', [], '42501');
      await expectSqlError(c, 'CREATE TABLE sneaky (id int)', [], '42501');
    });
  });
});
