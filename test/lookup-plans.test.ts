// The hot lookups (the authorization of every request, the login lookup) read their rows by key,
// also on a connection that planned them while the tables were new (migration 0009). plpgsql keeps
// a statement's plan for the connection's life; before 0009, plans made on a fresh installation
// read every session of the user, every role of the organization and every organization, until
// autovacuum's first ANALYZE replaced them.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestApp, signUp } from './support/test-app.ts';

const GROWN_TABLES = ['sessions', 'users', 'memberships', 'organizations', 'roles'];

describe('lookups by key (migration 0009)', () => {
  it('authorization and login lookups read a handful of rows per call after the tables grew, on a connection that planned them when they were new', async () => {
    const t = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' });
    const app = new pg.Client({ connectionString: t.appUrl }); // the app role, as the app's pool
    try {
      // No ANALYZE may replace the plans in the middle of the test (the worst case: before the first).
      for (const table of GROWN_TABLES)
        await t.owner(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
      const s = await signUp(t);
      const { rows } = await t.owner<{ session_id: string; role_id: string }>(
        `SELECT (SELECT id FROM sessions WHERE user_id = $1 LIMIT 1) AS session_id,
                (SELECT role_id FROM memberships WHERE user_id = $1) AS role_id`,
        [s.userId],
      );
      const { session_id: sessionId, role_id: roleId } = rows[0]!;
      const lookups: Record<string, () => Promise<pg.QueryResult>> = {
        'session, organization named': () =>
          app.query({
            name: 'by_session_org',
            text: 'SELECT bul_auth_by_session($1, $2, $3) AS p',
            values: [sessionId, s.userId, s.orgId],
          }),
        "session, the session's organization": () =>
          app.query({
            name: 'by_session',
            text: 'SELECT bul_auth_by_session($1, $2, NULL) AS p',
            values: [sessionId, s.userId],
          }),
        login: () =>
          app.query({ name: 'login', text: 'SELECT * FROM bul_login_lookup($1)', values: [s.email] }),
      };
      await app.connect();
      // Past plpgsql's five custom plans: the connection keeps generic plans, made on new tables.
      for (const lookup of Object.values(lookups)) for (let i = 0; i < 8; i++) await lookup();

      // Growth: 20,000 more sessions of this user, 3,000 organizations, 300 roles in this one.
      await t.owner(
        `INSERT INTO sessions (id, user_id, org_id, kind, expires_at)
         SELECT gen_random_uuid(), $1, $2, 'token', now() + interval '1 day' FROM generate_series(1, 20000)`,
        [s.userId, s.orgId],
      );
      await t.owner(
        `INSERT INTO organizations (id, name, subdomain, plan_id)
         SELECT gen_random_uuid(), 'Org ' || g, 'grown-' || g, 'free' FROM generate_series(1, 3000) g`,
      );
      await t.owner(
        `INSERT INTO roles (org_id, id, name) SELECT $1, gen_random_uuid(), 'Custom ' || g FROM generate_series(1, 300) g`,
        [s.orgId],
      );

      /**
       * Rows this connection has read, over every table of the schema: index entries read plus
       * rows read by sequential scans. Counted per backend, so the app's own background loops
       * (sampler, schedules) reading the same database do not count. The counters also hold the
       * connection's earlier, not yet flushed transactions, but are never flushed in the middle of
       * a transaction: a difference taken inside one is exact.
       */
      const rowsReadByThisConnection = async () => {
        const r = await app.query<{ n: string }>(
          `SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(c.oid)), 0) AS n
             FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
            WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'i', 'p')`,
        );
        return Number(r.rows[0]!.n);
      };
      const perCall: Record<string, number> = {};
      for (const [name, lookup] of Object.entries(lookups)) {
        await app.query('BEGIN');
        const before = await rowsReadByThisConnection();
        for (let i = 0; i < 10; i++) await lookup();
        perCall[name] = ((await rowsReadByThisConnection()) - before) / 10;
        await app.query('COMMIT');
      }
      // About one row per table the lookup joins (session, user, organization, plan, membership,
      // role, usage counter): 6 per request and 4 per login. Before 0009: 20,311 and 3,307.
      // (More than none: the counters see the lookups' own reads.)
      for (const n of Object.values(perCall)) {
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(10);
      }

      // And the answers are still right.
      const auth = (await lookups['session, organization named']!()).rows[0]!.p;
      expect(auth).toMatchObject({
        user: { id: s.userId },
        org: { id: s.orgId },
        membership: { roleId, roleKey: 'org_admin' },
        session: { id: sessionId },
      });
      const someoneElse = await app.query('SELECT bul_auth_by_session($1, gen_random_uuid(), NULL) AS p', [
        sessionId,
      ]);
      expect(someoneElse.rows[0]!.p).toBeNull();
      const found = (await lookups.login!()).rows[0]!;
      expect(found.organizations).toEqual([
        expect.objectContaining({ org_id: s.orgId, role_id: roleId, role_key: 'org_admin' }),
      ]);
    } finally {
      await app.end();
      await t.close();
    }
  }, 120_000);
});
