// `bul seed-demo`: the small demo organization on a test database — volumes, consistency of the
// generated history, full-text search, the audit chain, logging in and reading it through the API,
// determinism, --reset, and the command's flags and exit codes.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_SIZES,
  DemoExistsError,
  demoAdminEmail,
  type SeedDemoResult,
  seedDemo,
} from '../src/modules/system/demo-data.ts';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './support/constants.ts';
import { cleanupProcesses, makeDataDir, runBul } from './support/process.ts';
import {
  createTestApp,
  createTestDatabase,
  dropTestDatabase,
  login,
  type Session,
  type TestApp,
} from './support/test-app.ts';

let t: TestApp;
let owner: pg.Client;
let seeded: SeedDemoResult;
const small = DEMO_SIZES.small;

async function one<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T> {
  return (await owner.query<T>(sql, params)).rows[0]!;
}
const count = async (sql: string, params: unknown[] = []) =>
  Number((await one<{ n: string }>(`SELECT count(*) AS n FROM (${sql}) x`, params)).n);

beforeAll(async () => {
  t = await createTestApp();
  owner = new pg.Client({ connectionString: t.ownerUrl });
  await owner.connect();
  seeded = await seedDemo(
    { owner, identity: t.services.identity },
    { size: 'small', subdomain: 'demo', password: STRONG_PASSWORD },
  );
});

afterAll(async () => {
  await owner?.end();
  await t?.close();
  await cleanupProcesses();
});

describe('volumes', () => {
  it('has exactly the small size of users, clients, projects, tasks and audit events', async () => {
    expect(seeded.adminEmail).toBe('admin@demo.bul.local');
    expect(seeded.counts).toMatchObject({
      users: small.users,
      clients: small.clients,
      projects: small.projects,
      tasks: small.tasks,
      audit_events: small.auditEvents,
    });
    const org = seeded.orgId;
    expect(await count('SELECT 1 FROM memberships WHERE org_id = $1', [org])).toBe(small.users);
    expect(await count('SELECT 1 FROM tasks WHERE org_id = $1', [org])).toBe(small.tasks);
    expect(await count('SELECT 1 FROM audit_events WHERE org_id = $1', [org])).toBe(small.auditEvents);
    // The rest in proportion.
    expect(seeded.counts.client_contacts).toBeGreaterThanOrEqual(small.clients);
    expect(seeded.counts.client_contacts).toBeLessThanOrEqual(3 * small.clients);
    expect(seeded.counts.project_milestones).toBeGreaterThanOrEqual(2 * small.projects);
    for (const table of [
      'departments',
      'client_status_changes',
      'project_expenses',
      'task_time_entries',
      'task_comments',
      'task_watchers',
      'contracts',
      'invoices',
      'payments',
      'deals',
      'feedback',
    ]) {
      expect(seeded.counts[table], table).toBeGreaterThan(0);
    }
  });
});

describe('the generated history is consistent', () => {
  it('creates the organization like sign-up: built-in roles, an org_admin, and a spread of roles and departments', async () => {
    const org = await one<{ name: string; plan_id: string; currency: string }>(
      'SELECT name, plan_id, currency FROM organizations WHERE id = $1',
      [seeded.orgId],
    );
    expect(org).toEqual({ name: 'Demo Company', plan_id: 'enterprise', currency: 'USD' });
    const roles = await owner.query<{ key: string; members: number }>(
      `SELECT r.key, count(m.id)::int AS members FROM roles r LEFT JOIN memberships m ON m.org_id = r.org_id AND m.role_id = r.id
       WHERE r.org_id = $1 GROUP BY r.key ORDER BY r.key`,
      [seeded.orgId],
    );
    expect(Object.fromEntries(roles.rows.map((r) => [r.key, r.members]))).toEqual({
      analyst: 1,
      developer: 3,
      manager: 1,
      org_admin: 1,
      user: 1,
      viewer: 1,
    });
    const admin = await one<{ key: string; email: string }>(
      `SELECT r.key, u.email FROM memberships m JOIN roles r ON r.org_id = m.org_id AND r.id = m.role_id
       JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND r.key = 'org_admin'`,
      [seeded.orgId],
    );
    expect(admin.email).toBe('admin@demo.bul.local');
    // A small tree: top-level departments with children, and members placed in them.
    expect(
      await count('SELECT 1 FROM departments WHERE org_id = $1 AND parent_id IS NOT NULL', [seeded.orgId]),
    ).toBe(5);
    expect(
      await count('SELECT 1 FROM memberships WHERE org_id = $1 AND department_id IS NOT NULL', [
        seeded.orgId,
      ]),
    ).toBe(small.users - 1);
    // One password hash for every demo account.
    expect(
      await count(
        `SELECT DISTINCT u.password_hash FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.org_id = $1`,
        [seeded.orgId],
      ),
    ).toBe(1);
  });

  it('spreads dates over the past year and the coming months, consistently with statuses', async () => {
    const span = await one<{
      oldest: number;
      newest: number;
      due_ahead: number;
      overdue: number;
      future_done: number;
    }>(
      `SELECT extract(day FROM now() - min(created_at))::int AS oldest,
              extract(day FROM now() - max(created_at))::int AS newest,
              count(*) FILTER (WHERE due_date > current_date)::int AS due_ahead,
              count(*) FILTER (WHERE status IN ('pending', 'active') AND due_date < current_date)::int AS overdue,
              count(*) FILTER (WHERE completed_at > now() OR completed_at < created_at)::int AS future_done
       FROM tasks WHERE org_id = $1`,
      [seeded.orgId],
    );
    expect(span.oldest).toBeGreaterThan(200);
    expect(span.newest).toBeLessThan(30);
    expect(span.due_ahead).toBeGreaterThan(0);
    expect(span.overdue).toBeGreaterThan(0);
    expect(span.future_done).toBe(0);
    const projectDue = await one<{ latest: string; earliest: string }>(
      `SELECT (max(due_date) - current_date)::int AS latest, (current_date - min(start_date))::int AS earliest
       FROM projects WHERE org_id = $1`,
      [seeded.orgId],
    );
    expect(Number(projectDue.latest)).toBeGreaterThan(60);
    expect(Number(projectDue.earliest)).toBeGreaterThan(200);
  });

  it('has every status, priority and stage, with completion and closing times where they belong', async () => {
    const values = async (sql: string) =>
      (await owner.query(sql, [seeded.orgId])).rows.map((r) => r.v).sort();
    expect(await values('SELECT DISTINCT status AS v FROM tasks WHERE org_id = $1')).toEqual([
      'active',
      'cancelled',
      'completed',
      'pending',
    ]);
    expect(await values('SELECT DISTINCT priority AS v FROM tasks WHERE org_id = $1')).toEqual([
      'high',
      'low',
      'medium',
      'urgent',
    ]);
    expect(await values('SELECT DISTINCT status AS v FROM projects WHERE org_id = $1')).toEqual([
      'active',
      'cancelled',
      'completed',
      'on_hold',
      'planning',
    ]);
    expect(await values('SELECT DISTINCT stage AS v FROM deals WHERE org_id = $1')).toEqual([
      'lead',
      'lost',
      'negotiation',
      'proposal',
      'qualified',
      'won',
    ]);
    expect(await values('SELECT DISTINCT status AS v FROM clients WHERE org_id = $1')).toEqual([
      'active',
      'churned',
      'lead',
    ]);
    const scores = await values('SELECT DISTINCT score AS v FROM feedback WHERE org_id = $1');
    expect(scores.length).toBeGreaterThanOrEqual(3);
    for (const score of scores) expect([1, 2, 3, 4, 5]).toContain(score);
    // Closed deals closed after they were opened, and not in the future.
    expect(
      await count(
        `SELECT 1 FROM deals WHERE org_id = $1 AND stage IN ('won', 'lost')
         AND (closed_at < created_at OR closed_at > now())`,
        [seeded.orgId],
      ),
    ).toBe(0);
    // Milestones of completed projects are done.
    expect(
      await count(
        `SELECT 1 FROM project_milestones m JOIN projects p ON p.org_id = m.org_id AND p.id = m.project_id
         WHERE m.org_id = $1 AND p.status = 'completed' AND m.done_at IS NULL`,
        [seeded.orgId],
      ),
    ).toBe(0);
  });

  it('gives each client a status history lead → active → churned that matches its status', async () => {
    const bad = await count(
      `SELECT c.id FROM clients c
       WHERE c.org_id = $1 AND (
         (SELECT to_status FROM client_status_changes s WHERE s.org_id = c.org_id AND s.client_id = c.id
          ORDER BY changed_at DESC LIMIT 1) <> c.status
         OR NOT EXISTS (SELECT 1 FROM client_status_changes s WHERE s.org_id = c.org_id AND s.client_id = c.id
                        AND s.from_status IS NULL AND s.to_status = 'lead' AND s.changed_at = c.created_at)
         OR (c.status = 'churned') <> (c.churned_at IS NOT NULL)
         OR c.active_at < c.lead_at OR c.churned_at < coalesce(c.active_at, c.lead_at))`,
      [seeded.orgId],
    );
    expect(bad).toBe(0);
  });

  it('gives clients 1–3 contacts, some with a WhatsApp number and dated, sourced consent', async () => {
    const perClient = await one<{ lo: number; hi: number }>(
      `SELECT min(n)::int AS lo, max(n)::int AS hi FROM (SELECT count(*) AS n FROM client_contacts
       WHERE org_id = $1 GROUP BY client_id) x`,
      [seeded.orgId],
    );
    expect(perClient.lo).toBeGreaterThanOrEqual(1);
    expect(perClient.hi).toBeLessThanOrEqual(3);
    expect(
      await count(`SELECT 1 FROM client_contacts WHERE org_id = $1 AND whatsapp LIKE '+5511%'`, [
        seeded.orgId,
      ]),
    ).toBeGreaterThan(0);
    expect(
      await count(
        `SELECT 1 FROM client_contacts WHERE org_id = $1 AND messaging_consent AND consent_at <= now()
         AND consent_source <> ''`,
        [seeded.orgId],
      ),
    ).toBeGreaterThan(0);
  });

  it('keeps all money in the organization currency, with monthly and yearly contracts and a year of payments', async () => {
    const currencies = await owner.query<{ c: string }>(
      `SELECT currency AS c FROM projects WHERE org_id = $1 UNION SELECT currency FROM project_expenses WHERE org_id = $1
       UNION SELECT currency FROM contracts WHERE org_id = $1 UNION SELECT currency FROM invoices WHERE org_id = $1
       UNION SELECT currency FROM payments WHERE org_id = $1 UNION SELECT currency FROM deals WHERE org_id = $1`,
      [seeded.orgId],
    );
    expect(currencies.rows.map((r) => r.c)).toEqual(['USD']);
    const contracts = await one<{ monthly: number; yearly: number; ended: number }>(
      `SELECT count(*) FILTER (WHERE billing_interval = 'month')::int AS monthly,
              count(*) FILTER (WHERE billing_interval = 'year')::int AS yearly,
              count(*) FILTER (WHERE end_date <= current_date)::int AS ended
       FROM contracts WHERE org_id = $1`,
      [seeded.orgId],
    );
    expect(contracts.monthly).toBeGreaterThan(0);
    expect(contracts.yearly).toBeGreaterThan(0);
    expect(contracts.ended).toBeGreaterThan(0);
    const months = await one<{ n: number; overpaid: number; future: number }>(
      `SELECT count(DISTINCT date_trunc('month', paid_on))::int AS n,
              (SELECT count(*)::int FROM (SELECT i.id FROM invoices i JOIN payments p ON p.org_id = i.org_id AND p.invoice_id = i.id
                WHERE i.org_id = $1 GROUP BY i.id, i.amount_minor HAVING sum(p.amount_minor) > i.amount_minor) x) AS overpaid,
              count(*) FILTER (WHERE paid_on > current_date)::int AS future
       FROM payments WHERE org_id = $1`,
      [seeded.orgId],
    );
    expect(months.n).toBeGreaterThanOrEqual(6);
    expect(months.overpaid).toBe(0);
    expect(months.future).toBe(0);
  });

  it('writes task titles and descriptions that full-text search finds', async () => {
    for (const word of ['invoice', 'migration', 'dashboard']) {
      expect(
        await count(`SELECT 1 FROM tasks WHERE org_id = $1 AND search @@ to_tsquery('simple', $2)`, [
          seeded.orgId,
          word,
        ]),
        word,
      ).toBeGreaterThan(0);
    }
  });
});

describe('audit history', () => {
  it('forms an intact hash chain', async () => {
    const r = await one<{ ok: boolean; checked: string; problem: string | null }>(
      'SELECT * FROM bul_audit_verify($1)',
      [seeded.orgId],
    );
    expect(r).toMatchObject({ ok: true, problem: null });
    expect(Number(r.checked)).toBe(small.auditEvents);
  });

  it('looks like real use: demo users act on resources that exist, in chronological order', async () => {
    const actions = (
      await owner.query<{ action: string }>('SELECT DISTINCT action FROM audit_events WHERE org_id = $1', [
        seeded.orgId,
      ])
    ).rows.map((r) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'user.register',
        'organization.create',
        'auth.login',
        'client.create',
        'project.create',
        'task.create',
        'task.status_change',
        'comment.create',
        'time_entry.create',
      ]),
    );
    expect(
      await count(
        `SELECT 1 FROM audit_events e WHERE e.org_id = $1 AND (e.actor_id IS NULL OR NOT EXISTS
           (SELECT 1 FROM memberships m WHERE m.org_id = e.org_id AND m.user_id = e.actor_id))`,
        [seeded.orgId],
      ),
    ).toBe(0);
    const missing = await count(
      `SELECT 1 FROM audit_events e WHERE e.org_id = $1 AND (
         (e.resource_type = 'task' AND NOT EXISTS (SELECT 1 FROM tasks x WHERE x.org_id = e.org_id AND x.id::text = e.resource_id))
         OR (e.resource_type = 'project' AND NOT EXISTS (SELECT 1 FROM projects x WHERE x.org_id = e.org_id AND x.id::text = e.resource_id))
         OR (e.resource_type = 'client' AND NOT EXISTS (SELECT 1 FROM clients x WHERE x.org_id = e.org_id AND x.id::text = e.resource_id))
         OR (e.resource_type = 'comment' AND NOT EXISTS (SELECT 1 FROM task_comments x WHERE x.org_id = e.org_id AND x.id::text = e.resource_id)))`,
      [seeded.orgId],
    );
    expect(missing).toBe(0);
    // Events after sign-up are numbered in the order of the moments they describe.
    const disorder = await count(
      `SELECT 1 FROM (SELECT seq, (metadata->>'demoAt')::timestamptz AS at,
                             lag((metadata->>'demoAt')::timestamptz) OVER (ORDER BY seq) AS prev
                      FROM audit_events WHERE org_id = $1 AND metadata ? 'demoAt') x WHERE at < prev`,
      [seeded.orgId],
    );
    expect(disorder).toBe(0);
  });

  it('dates last logins', async () => {
    expect(
      await count(
        `SELECT 1 FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.org_id = $1 AND u.last_login_at IS NOT NULL`,
        [seeded.orgId],
      ),
    ).toBeGreaterThan(0);
  });
});

describe('signing in', () => {
  let admin: Session;
  beforeAll(async () => {
    admin = await login(t, 'admin@demo.bul.local', STRONG_PASSWORD);
  });

  it('lets the admin in with the printed password, into the demo organization', () => {
    expect(admin.orgId).toBe(seeded.orgId);
  });

  it('shows the data through the API', async () => {
    const get = async (url: string) => {
      const res = await t.request({ method: 'GET', url, headers: admin.headers });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      return res.json();
    };
    expect((await get('/api/v1/clients?limit=100')).items).toHaveLength(small.clients);
    expect((await get('/api/v1/projects?limit=100')).items).toHaveLength(small.projects);
    const tasks = await get('/api/v1/tasks?limit=100');
    expect(tasks.items).toHaveLength(100);
    expect(tasks.nextCursor).toBeTruthy();
    const found = await get('/api/v1/tasks?q=invoice&status=completed&limit=100');
    expect(found.items.length).toBeGreaterThan(0);
    for (const task of found.items) expect(task.status).toBe('completed');
    const members = await get('/api/v1/members?limit=100');
    expect(members.items).toHaveLength(small.users);
    const audit = await get('/api/v1/audit/integrity');
    expect(audit).toMatchObject({ ok: true });
  });

  it('lets every demo member in with the same password', async () => {
    const developer = await one<{ email: string }>(
      `SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id JOIN roles r ON r.org_id = m.org_id AND r.id = m.role_id
       WHERE m.org_id = $1 AND r.key = 'developer' ORDER BY u.email LIMIT 1`,
      [seeded.orgId],
    );
    const s = await login(t, developer.email, STRONG_PASSWORD);
    expect(s.orgId).toBe(seeded.orgId);
  });
});

describe('repeatability and reset', () => {
  it('produces the same shape on a second run (another subdomain)', async () => {
    const again = await seedDemo(
      { owner, identity: t.services.identity },
      { size: 'small', subdomain: 'demo-two', password: STRONG_PASSWORD },
    );
    expect(again.counts).toEqual(seeded.counts);
    const fingerprint = async (orgId: string) =>
      (
        await one<{ f: string }>(
          `SELECT md5(string_agg(concat_ws('|', title, status, priority, due_date, estimate_minutes, created_at, completed_at), ','
                    ORDER BY created_at)) AS f FROM tasks WHERE org_id = $1`,
          [orgId],
        )
      ).f;
    expect(await fingerprint(again.orgId)).toBe(await fingerprint(seeded.orgId));
    const money = async (orgId: string) =>
      one('SELECT (SELECT sum(amount_minor) FROM payments WHERE org_id = $1) AS paid', [orgId]);
    expect(await money(again.orgId)).toEqual(await money(seeded.orgId));
  });

  it('refuses to overwrite an existing organization without --reset, and replaces it with', async () => {
    const sub = 'demo-reset';
    const first = await seedDemo(
      { owner, identity: t.services.identity },
      { size: 'small', subdomain: sub, password: STRONG_PASSWORD, volumes: { tasks: 50, auditEvents: 300 } },
    );
    await expect(
      seedDemo(
        { owner, identity: t.services.identity },
        { size: 'small', subdomain: sub, password: STRONG_PASSWORD },
      ),
    ).rejects.toThrow(DemoExistsError);
    const second = await seedDemo(
      { owner, identity: t.services.identity },
      {
        size: 'small',
        subdomain: sub,
        password: STRONG_PASSWORD,
        reset: true,
        volumes: { tasks: 60, auditEvents: 400 },
      },
    );
    expect(second.replaced).toBe(true);
    expect(second.orgId).not.toBe(first.orgId);
    expect(second.counts).toMatchObject({ tasks: 60, audit_events: 400, users: small.users });
    // Nothing of the first one is left: data, audit chain, or accounts.
    expect(await count('SELECT 1 FROM organizations WHERE id = $1', [first.orgId])).toBe(0);
    expect(await count('SELECT 1 FROM audit_events WHERE org_id = $1', [first.orgId])).toBe(0);
    expect(await count('SELECT 1 FROM audit_chain_heads WHERE org_id = $1', [first.orgId])).toBe(0);
    expect(await count(`SELECT 1 FROM users WHERE email LIKE '%@${sub}.bul.local'`)).toBe(small.users);
    expect((await one<{ ok: boolean }>('SELECT * FROM bul_audit_verify($1)', [second.orgId])).ok).toBe(true);
    // The original demo organization is untouched.
    expect((await one<{ ok: boolean }>('SELECT * FROM bul_audit_verify($1)', [seeded.orgId])).ok).toBe(true);
    expect(await count('SELECT 1 FROM tasks WHERE org_id = $1', [seeded.orgId])).toBe(small.tasks);
  });
});

describe('the bul seed-demo command', () => {
  let db: { dbName: string; ownerUrl: string; adminUrl: string };
  const env = () => ({
    DATABASE_URL: db.ownerUrl,
    BUL_MASTER_KEY: TEST_MASTER_KEY,
    BUL_DATA_DIR: makeDataDir(),
    LOG_LEVEL: 'silent',
  });
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    if (db) await dropTestDatabase(db.adminUrl, db.dbName);
  });

  it('answers bad flags with one line and exit 2, before touching the database', async () => {
    for (const [args, message] of [
      [['--size', 'huge'], '--size must be small or large, not "huge"'],
      [['--subdomain', 'Not_Valid'], '--subdomain must be'],
      [['--password', 'short'], 'the password'],
      [['--sise', 'small'], 'Unknown option'],
      [['extra'], 'Unexpected argument'],
    ] as const) {
      const r = await runBul(['seed-demo', ...args], {
        ...env(),
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('seeds, prints the summary and a password that works, and refuses a second run without --reset', async () => {
    const r = await runBul(['seed-demo', '--size', 'small', '--subdomain', 'acme'], env(), 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('created the demo organization "Demo Company" (acme,');
    expect(r.stdout).toMatch(/tasks\s+300\n/);
    expect(r.stdout).toMatch(/audit_events\s+2,000\n/);
    expect(r.stdout).toContain(`as ${demoAdminEmail('acme')}`);
    const password = /password \(shown once[^:]*\): (\S+)/.exec(r.stdout)?.[1];
    expect(password).toBeTruthy();
    const hash = await query(
      db.ownerUrl,
      `SELECT password_hash FROM users WHERE email = 'admin@acme.bul.local'`,
    );
    const { verifyPassword } = await import('../src/platform/crypto/passwords.ts');
    expect(await verifyPassword(hash.rows[0].password_hash, password!)).toBe(true);

    const verify = await runBul(['audit', 'verify'], env());
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('2000 events, chain intact');

    const again = await runBul(['seed-demo', '--subdomain', 'acme'], env());
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(again.stderr).toContain('--reset');
  });
});

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}
