// Past one machine (issue 19 item 5): the schema stays ready to be distributed by organization with
// Citus. Over the whole migrated schema, every tenant table (one with an `org_id` column) has a
// primary key and every unique constraint or index leading with `org_id`, and every foreign key to
// another tenant table leads with `org_id` on both sides (keys to the global tables users, plans and
// organizations are fine: those become Citus reference tables), with no ON DELETE SET NULL/SET DEFAULT
// or ON UPDATE SET NULL/SET DEFAULT/CASCADE (Citus refuses those on a key holding org_id); org_id is
// NOT NULL; no key of a distributed table points at `sessions` (kept on the coordinator); keys
// repeated on partitions count once. Tables or constraints that break the
// rule are listed below with the reason; a new one fails this test. docs/citus.md is checked against
// the same catalogue: its lists of distributed, reference and coordinator-local tables cover every
// table exactly once, follow Citus's rules on foreign keys between kinds of tables, and are in an
// order Citus can run (parents before children).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/process.ts';
import { createTestDatabase, dropTestDatabase } from './support/test-app.ts';

/**
 * Tenant tables that are not distributed by org_id: their org_id is not the owner of the row.
 * They stay on the coordinator (docs/citus.md, "Local to the coordinator").
 */
const NOT_DISTRIBUTED: Record<string, string> = {
  // A login session belongs to a user; org_id is the organization the session has currently chosen
  // (nullable, changed by switching organization). Looked up by id and by cookie hash before any
  // organization is known, so it is keyed by id and lives with users, not with an organization.
  sessions: 'identity table keyed by user; org_id is the current choice, nullable',
};

/**
 * Single constraints of distributed tables that break the rule today. Each must change before
 * `create_distributed_table` can run (docs/citus.md, "What has to change"): Citus only accepts
 * unique constraints that contain the distribution column.
 */
const CONSTRAINT_EXCEPTIONS: Record<string, string> = {
  // POST /invitations/accept arrives with nothing but the token: the invitation is found by the
  // hash of its token across organizations (bul_invitation_by_token).
  'invitations: unique invitations_token_hash_key (token_hash)':
    'invitation tokens are looked up across organizations',
  // An API key is presented alone (Authorization: Bearer bul_…): found by the hash of the key
  // across organizations (bul_auth_by_api_key) before any organization is known.
  'api_keys: unique api_keys_key_hash_key (key_hash)': 'API keys are looked up across organizations',
  // Keys that contain org_id and null the reference when its row goes (a member leaves, a client or
  // department is deleted): Citus refuses ON DELETE SET NULL / SET DEFAULT on a key holding the
  // distribution column (EnsureSupportedFKeyOnDistKey), since SET NULL would null org_id too. They
  // become NO ACTION, the application nulling the column first (docs/citus.md, "What has to change").
  'clients: foreign key clients_org_id_owner_id_fkey ON DELETE SET NULL (org_id, owner_id) → memberships (org_id, user_id)':
    'a departing member no longer owns clients',
  'deals: foreign key deals_org_id_client_id_fkey ON DELETE SET NULL (org_id, client_id) → clients (org_id, id)':
    'a deleted client leaves its deals',
  'deals: foreign key deals_org_id_owner_id_fkey ON DELETE SET NULL (org_id, owner_id) → memberships (org_id, user_id)':
    'a departing member no longer owns deals',
  'invitations: foreign key invitations_org_id_department_id_fkey ON DELETE SET NULL (org_id, department_id) → departments (org_id, id)':
    'a deleted department leaves pending invitations',
  'memberships: foreign key memberships_org_id_department_id_fkey ON DELETE SET NULL (org_id, department_id) → departments (org_id, id)':
    'a deleted department leaves its members',
  'projects: foreign key projects_org_id_client_id_fkey ON DELETE SET NULL (org_id, client_id) → clients (org_id, id)':
    'a deleted client leaves its projects',
  'projects: foreign key projects_org_id_department_id_fkey ON DELETE SET NULL (org_id, department_id) → departments (org_id, id)':
    'a deleted department leaves its projects',
  'projects: foreign key projects_org_id_owner_id_fkey ON DELETE SET NULL (org_id, owner_id) → memberships (org_id, user_id)':
    'a departing member no longer owns projects',
  'tasks: foreign key tasks_org_id_assignee_id_fkey ON DELETE SET NULL (org_id, assignee_id) → memberships (org_id, user_id)':
    "a departing member's tasks become unassigned",
};

interface Violation {
  table: string;
  key: string;
}

/** Every table of `schema` (not partitions), whether it has org_id, and its foreign keys. */
async function catalogue(c: pg.Client, schema: string) {
  const { rows: tables } = await c.query<{ name: string; tenant: boolean; orgIdNullable: boolean }>(
    `SELECT c.relname AS name,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id'
                      AND a.attnum > 0 AND NOT a.attisdropped) AS tenant,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id'
                      AND a.attnum > 0 AND NOT a.attisdropped AND NOT a.attnotnull) AS "orgIdNullable"
       FROM pg_class c
      WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY 1`,
    [schema],
  );
  const { rows: fks } = await c.query<{
    table: string;
    name: string;
    ref: string;
    cols: string[];
    refcols: string[];
    ondelete: string;
    onupdate: string;
  }>(
    `SELECT c.relname AS table, k.conname AS name, (SELECT r.relname FROM pg_class r WHERE r.oid = k.confrelid) AS ref,
            k.confdeltype AS ondelete, k.confupdtype AS onupdate,
            (SELECT array_agg(a.attname::text ORDER BY u.i) FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n) AS cols,
            (SELECT array_agg(a.attname::text ORDER BY u.i) FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
               JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n) AS refcols
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
      WHERE k.contype = 'f' AND c.relnamespace = $1::regnamespace
        -- a key of a partitioned table is repeated on each partition (conparentid): once is enough
        AND k.conparentid = 0
      ORDER BY 1, 2`,
    [schema],
  );
  return { tables, fks };
}

/**
 * The rule. `notDistributed`: tables with org_id that are deliberately not distributed (treated
 * as global tables). Returns every breach, named "<table>: <what> <constraint> (<columns>)".
 */
async function distributionViolations(
  c: pg.Client,
  schema: string,
  notDistributed: readonly string[],
): Promise<Violation[]> {
  const { tables, fks } = await catalogue(c, schema);
  const distributed = new Set(
    tables.filter((t) => t.tenant && !notDistributed.includes(t.name)).map((t) => t.name),
  );
  const out: Violation[] = [];
  // Unique indexes (primary keys, unique constraints, unique indexes, partial or on expressions):
  // the first key column must be org_id (an expression in first place is not org_id).
  const { rows: uniques } = await c.query<{
    table: string;
    name: string;
    primary: boolean;
    def: string;
    first: string | null;
  }>(
    `SELECT c.relname AS table, ic.relname AS name, i.indisprimary AS primary,
            pg_get_indexdef(i.indexrelid) AS def,
            (SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[0]) AS first
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indisunique AND c.relnamespace = $1::regnamespace
      ORDER BY 1, 2`,
    [schema],
  );
  for (const name of distributed) {
    if (!uniques.some((u) => u.table === name && u.primary))
      out.push({ table: name, key: `${name}: no primary key` });
    // A row without an organization has no shard.
    if (tables.find((t) => t.name === name)?.orgIdNullable)
      out.push({ table: name, key: `${name}: org_id is nullable` });
  }
  for (const u of uniques) {
    if (!distributed.has(u.table) || u.first === 'org_id') continue;
    const cols = /\((.*)\)/.exec(u.def.replace(/ WHERE .*$/, ''))?.[1] ?? u.def;
    out.push({
      table: u.table,
      key: `${u.table}: ${u.primary ? 'primary key' : 'unique'} ${u.name} (${cols})`,
    });
  }
  const named = (fk: (typeof fks)[number], what = '') =>
    `${fk.table}: foreign key ${fk.name}${what} (${fk.cols.join(', ')}) → ${fk.ref} (${fk.refcols.join(', ')})`;
  for (const fk of fks) {
    if (notDistributed.includes(fk.ref)) {
      // A tenant table kept on the coordinator (sessions): Citus accepts no key from a
      // distributed table to a coordinator-local one.
      if (distributed.has(fk.table))
        out.push({ table: fk.table, key: named(fk, ' to a coordinator-local table') });
      continue;
    }
    if (!distributed.has(fk.ref)) continue; // to a global table: a reference table
    const ok = distributed.has(fk.table) && fk.cols[0] === 'org_id' && fk.refcols[0] === 'org_id';
    if (!ok) {
      out.push({ table: fk.table, key: named(fk) });
      continue;
    }
    // Citus (EnsureSupportedFKeyOnDistKey, commands/foreign_constraint.c) refuses a key that
    // contains the distribution column with ON DELETE SET NULL / SET DEFAULT, or ON UPDATE
    // SET NULL / SET DEFAULT / CASCADE: the action would change org_id, moving the row's shard.
    const del = { n: 'SET NULL', d: 'SET DEFAULT' }[fk.ondelete];
    const upd = { n: 'SET NULL', d: 'SET DEFAULT', c: 'CASCADE' }[fk.onupdate];
    if (del) out.push({ table: fk.table, key: named(fk, ` ON DELETE ${del}`) });
    if (upd) out.push({ table: fk.table, key: named(fk, ` ON UPDATE ${upd}`) });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/** The tables docs/citus.md distributes, makes reference tables and keeps local, in its order. */
function docPlan(): { kind: 'distributed' | 'reference' | 'local'; table: string; colocateWith?: string }[] {
  const doc = readFileSync(path.join(ROOT, 'docs', 'citus.md'), 'utf8');
  const plan: { kind: 'distributed' | 'reference' | 'local'; table: string; colocateWith?: string }[] = [];
  const re =
    /SELECT (create_distributed_table|create_reference_table|citus_add_local_table_to_metadata)\('([a-z_]+)'(?:, 'org_id'(?:, colocate_with => '([a-z_]+)')?)?\)/g;
  for (const m of doc.matchAll(re)) {
    const kind =
      m[1] === 'create_distributed_table'
        ? 'distributed'
        : m[1] === 'create_reference_table'
          ? 'reference'
          : 'local';
    plan.push({ kind, table: m[2]!, ...(m[3] ? { colocateWith: m[3] } : {}) });
  }
  return plan;
}

let c: pg.Client;
let db: { dbName: string; ownerUrl: string; adminUrl: string };
beforeAll(async () => {
  db = await createTestDatabase();
  c = new pg.Client({ connectionString: db.ownerUrl });
  await c.connect();
});
afterAll(async () => {
  await c?.end();
  if (db) await dropTestDatabase(db.adminUrl, db.dbName);
});

describe('the schema can be distributed by organization', () => {
  it('every tenant table leads its keys with org_id, but for the listed exceptions', async () => {
    const found = await distributionViolations(c, 'public', Object.keys(NOT_DISTRIBUTED));
    // Exactly the exceptions: a new breach fails, and so does an exception that no longer applies.
    expect(found.map((v) => v.key)).toEqual(Object.keys(CONSTRAINT_EXCEPTIONS).sort());
    for (const t of Object.keys(NOT_DISTRIBUTED)) {
      const { rows } = await c.query(
        'SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2',
        [t, 'org_id'],
      );
      expect(rows, `${t} is listed as a tenant table not distributed`).toHaveLength(1);
    }
  });

  it('the rule flags a new table that breaks it (a throwaway schema in this database)', async () => {
    await c.query(`CREATE SCHEMA distribution_probe;
      SET search_path = distribution_probe;
      CREATE TABLE orgs (id uuid PRIMARY KEY);
      CREATE TABLE good (org_id uuid NOT NULL REFERENCES orgs, id uuid NOT NULL, code text,
        PRIMARY KEY (org_id, id), UNIQUE (org_id, code));
      CREATE TABLE no_pk (org_id uuid NOT NULL, note text);
      CREATE TABLE id_pk (org_id uuid NOT NULL, id uuid PRIMARY KEY);
      CREATE TABLE global_unique (org_id uuid NOT NULL, id uuid NOT NULL, token text, PRIMARY KEY (org_id, id));
      CREATE UNIQUE INDEX global_unique_token ON global_unique (lower(token));
      CREATE TABLE child (org_id uuid NOT NULL, id uuid NOT NULL, good_id uuid, other_org uuid,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, good_id) REFERENCES good (org_id, id),
        CONSTRAINT child_cross FOREIGN KEY (other_org, good_id) REFERENCES good (org_id, id));
      CREATE TABLE global_child (id uuid PRIMARY KEY, org_id_of_good uuid, good_id uuid,
        FOREIGN KEY (org_id_of_good, good_id) REFERENCES good (org_id, id));
      CREATE TABLE nulling (org_id uuid NOT NULL, id uuid NOT NULL, good_id uuid, PRIMARY KEY (org_id, id),
        CONSTRAINT nulling_good FOREIGN KEY (org_id, good_id) REFERENCES good (org_id, id)
          ON DELETE SET NULL ON UPDATE CASCADE);
      CREATE TABLE nullable_org (org_id uuid REFERENCES orgs, id uuid NOT NULL, UNIQUE (org_id, id));
      CREATE TABLE parted (org_id uuid NOT NULL, id uuid NOT NULL, good_id uuid, PRIMARY KEY (org_id, id),
        CONSTRAINT parted_good FOREIGN KEY (org_id, good_id) REFERENCES good (org_id, id) ON DELETE SET DEFAULT)
        PARTITION BY HASH (org_id);
      CREATE TABLE parted_0 PARTITION OF parted FOR VALUES WITH (MODULUS 1, REMAINDER 0);
      RESET search_path;`);
    try {
      const found = await distributionViolations(c, 'distribution_probe', []);
      expect(found.map((v) => v.key)).toEqual([
        'child: foreign key child_cross (other_org, good_id) → good (org_id, id)',
        'global_child: foreign key global_child_org_id_of_good_good_id_fkey (org_id_of_good, good_id) → good (org_id, id)',
        'global_unique: unique global_unique_token (lower(token))',
        'id_pk: primary key id_pk_pkey (id)',
        'no_pk: no primary key',
        'nullable_org: no primary key',
        'nullable_org: org_id is nullable',
        'nulling: foreign key nulling_good ON DELETE SET NULL (org_id, good_id) → good (org_id, id)',
        'nulling: foreign key nulling_good ON UPDATE CASCADE (org_id, good_id) → good (org_id, id)',
        // Once, from the partitioned table: not again from its partition (conparentid).
        'parted: foreign key parted_good ON DELETE SET DEFAULT (org_id, good_id) → good (org_id, id)',
      ]);
      // Listing a table as not distributed takes it out of the rule (its keys no longer count),
      // but then keys to it from distributed tables are breaches of their own (Citus accepts no
      // key from a distributed table to a coordinator-local one).
      const without = await distributionViolations(c, 'distribution_probe', ['good']);
      expect(without.map((v) => v.key)).toEqual([
        'child: foreign key child_cross to a coordinator-local table (other_org, good_id) → good (org_id, id)',
        'child: foreign key child_org_id_good_id_fkey to a coordinator-local table (org_id, good_id) → good (org_id, id)',
        'global_unique: unique global_unique_token (lower(token))',
        'id_pk: primary key id_pk_pkey (id)',
        'no_pk: no primary key',
        'nullable_org: no primary key',
        'nullable_org: org_id is nullable',
        'nulling: foreign key nulling_good to a coordinator-local table (org_id, good_id) → good (org_id, id)',
        'parted: foreign key parted_good to a coordinator-local table (org_id, good_id) → good (org_id, id)',
      ]);
    } finally {
      await c.query('DROP SCHEMA distribution_probe CASCADE');
    }
  });
});

describe('docs/citus.md matches the schema', () => {
  it('distributes every tenant table, and only those; every other table is a reference or local table', async () => {
    const { tables } = await catalogue(c, 'public');
    const plan = docPlan();
    const names = plan.map((p) => p.table);
    expect(new Set(names).size, 'a table is named twice').toBe(names.length);
    const byKind = (k: string) =>
      plan
        .filter((p) => p.kind === k)
        .map((p) => p.table)
        .sort();
    const tenant = tables.filter((t) => t.tenant && !(t.name in NOT_DISTRIBUTED)).map((t) => t.name);
    expect(byKind('distributed')).toEqual(tenant.sort());
    expect([...byKind('reference'), ...byKind('local')].sort()).toEqual(
      tables
        .filter((t) => !tenant.includes(t.name))
        .map((t) => t.name)
        .sort(),
    );
    // All distributed tables in one colocation group: the first, then the others with it.
    const dist = plan.filter((p) => p.kind === 'distributed');
    expect(dist[0]?.colocateWith).toBeUndefined();
    for (const d of dist.slice(1)) expect(d.colocateWith, d.table).toBe(dist[0]!.table);
  });

  it('keys between kinds of tables are ones Citus accepts, and parents come before children', async () => {
    const { fks } = await catalogue(c, 'public');
    const plan = docPlan();
    const kind = new Map(plan.map((p) => [p.table, p.kind]));
    const at = new Map(plan.map((p, i) => [p.table, i]));
    const problems: string[] = [];
    for (const fk of fks) {
      const from = kind.get(fk.table);
      const to = kind.get(fk.ref);
      // distributed → distributed (colocated, by org_id) or reference; reference → reference;
      // local (coordinator) → local or reference. Nothing may point at a distributed table but a
      // distributed one, nor from a reference table at anything but a reference table.
      const allowed =
        (from === 'distributed' &&
          (to === 'reference' || (to === 'distributed' && fk.cols[0] === 'org_id'))) ||
        (from === 'reference' && to === 'reference') ||
        (from === 'local' && (to === 'reference' || to === 'local'));
      if (!allowed) problems.push(`${fk.table} (${from}) → ${fk.ref} (${to}): ${fk.name}`);
      if (fk.table !== fk.ref && from !== 'local' && at.get(fk.ref)! > at.get(fk.table)!)
        problems.push(`${fk.ref} must come before ${fk.table} (${fk.name})`);
    }
    expect(problems).toEqual([]);
  });

  it('names every exception of this test in its list of changes', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'citus.md'), 'utf8');
    for (const t of Object.keys(NOT_DISTRIBUTED)) expect(doc).toContain(`\`${t}\``);
    for (const k of Object.keys(CONSTRAINT_EXCEPTIONS))
      expect(doc).toContain(/(?:unique|primary key|foreign key) (\S+)/.exec(k)![1]!);
  });
});
