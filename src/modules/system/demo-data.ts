// Demo data (`bul seed-demo`): an organization with a year of plausible history, for trying BUL
// out, for tests and for benchmarks. The organization and its admin are created the way sign-up
// creates them (the identity onboarding service: built-in roles, org_admin membership, audit
// events); everything else is bulk-loaded on the owner connection by the set-based statements in
// demo-data/sql.ts, then the audit history is appended and linked into the hash chain.
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../platform/db/transaction.ts';
import { sealChain } from '../audit/service.ts';
import type { IdentityService } from '../identity/service.ts';
import {
  AUDIT_BATCH_SQL,
  AUDIT_PLAN_SQL,
  CLOCK_SQL,
  DEMO_TABLES,
  LOAD_STEPS,
  PARAMS_SQL,
  RESET_STATEMENTS,
  RESET_USERS_SQL,
  SETUP_SQL,
} from './demo-data/sql.ts';
import * as words from './demo-data/words.ts';

export type DemoSize = 'small' | 'large';

export interface DemoVolumes {
  /** Members, the admin included. */
  users: number;
  clients: number;
  projects: number;
  tasks: number;
  auditEvents: number;
}

export const DEMO_SIZES: Record<DemoSize, DemoVolumes> = {
  small: { users: 8, clients: 20, projects: 20, tasks: 300, auditEvents: 2_000 },
  large: { users: 50, clients: 200, projects: 2_000, tasks: 100_000, auditEvents: 500_000 },
};

export const isDemoSize = (s: string): s is DemoSize => Object.hasOwn(DEMO_SIZES, s);

/** The seed of PostgreSQL's random() for the whole load: same seed, same shape. */
const RANDOM_SEED = 0.4242;
/** Audit events per INSERT (and per transaction); see AUDIT_BATCH_SQL. */
const AUDIT_BATCH = 250;

export const DEMO_ORGANIZATION_NAME = 'Demo Company';
export const demoDomain = (subdomain: string): string => `${subdomain}.bul.local`;
export const demoAdminEmail = (subdomain: string): string => `admin@${demoDomain(subdomain)}`;

/** The demo organization (or its admin account) is already there and no reset was asked for. */
export class DemoExistsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoExistsError';
  }
}

export interface SeedDemoOptions {
  size: DemoSize;
  subdomain: string;
  /** The password of every demo account. */
  password: string;
  /** Delete an existing organization with this subdomain (and its demo accounts) first. */
  reset?: boolean;
  organizationName?: string;
  /** Volumes other than the named size's (tests). */
  volumes?: Partial<DemoVolumes>;
}

export interface SeedDemoResult {
  orgId: string;
  subdomain: string;
  adminEmail: string;
  /** Whether an existing organization was deleted first. */
  replaced: boolean;
  /** Rows of the organization per table (`users` = members). */
  counts: Record<string, number>;
  seconds: number;
}

export interface SeedDemoDeps {
  /**
   * One owner connection (a client, not a pool: the load keeps temporary tables in its session).
   * Owner, because it writes across the organization in bulk, as the migrations do.
   */
  owner: Sql;
  /** Creates the organization and its admin exactly as sign-up does. */
  identity: Pick<IdentityService, 'onboarding'>;
  /** Called after each step with its name and duration. */
  progress?: (step: string, seconds: number) => void;
}

/** Minor units per major unit of a currency (100 for USD, 1 for JPY, 1000 for BHD). */
function minorUnitScale(currency: string): number {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits;
  return 10 ** (digits ?? 2);
}

async function inTransaction(owner: Sql, work: () => Promise<void>): Promise<void> {
  await owner.query('BEGIN');
  try {
    await work();
    await owner.query('COMMIT');
  } catch (err) {
    await owner.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Deletes an organization with all its data and audit chain, and demo accounts left in no organization. */
async function removeOrganization(owner: Sql, orgId: string | null, domain: string): Promise<void> {
  await inTransaction(owner, async () => {
    if (orgId) for (const sql of RESET_STATEMENTS) await owner.query(sql, [orgId]);
    await owner.query(RESET_USERS_SQL, [domain]);
  });
}

export async function seedDemo(deps: SeedDemoDeps, opts: SeedDemoOptions): Promise<SeedDemoResult> {
  const { owner } = deps;
  const volumes = { ...DEMO_SIZES[opts.size], ...opts.volumes };
  const domain = demoDomain(opts.subdomain);
  const adminEmail = demoAdminEmail(opts.subdomain);
  const started = performance.now();
  let last = started;
  const step = async (name: string, work: () => Promise<unknown>) => {
    await work();
    const now = performance.now();
    deps.progress?.(name, (now - last) / 1000);
    last = now;
  };

  const existing = await owner.query<{ id: string }>('SELECT id FROM organizations WHERE subdomain = $1', [
    opts.subdomain,
  ]);
  const existingId = existing.rows[0]?.id ?? null;
  const accountTaken =
    (await owner.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [adminEmail])).rowCount! > 0;
  if (!opts.reset && existingId) {
    throw new DemoExistsError(
      `an organization with the subdomain "${opts.subdomain}" already exists (${existingId}); run with --reset to replace it`,
    );
  }
  if (!opts.reset && accountTaken) {
    throw new DemoExistsError(`the account ${adminEmail} already exists; run with --reset to replace it`);
  }
  if (opts.reset && (existingId || accountTaken)) {
    await step('reset', () => removeOrganization(owner, existingId, domain));
  }

  let orgId = '';
  let adminId = '';
  await step('organization and admin (sign-up)', async () => {
    const registered = await deps.identity.onboarding.register(
      {
        email: adminEmail,
        password: opts.password,
        name: 'Demo Admin',
        organization: { name: opts.organizationName ?? DEMO_ORGANIZATION_NAME, subdomain: opts.subdomain },
      },
      { ip: '127.0.0.1', userAgent: 'bul seed-demo', requestId: randomUUID() },
    );
    orgId = registered.organization.id;
    adminId = registered.user.id;
  });

  // Every demo account shares the admin's password hash: one argon2 hash for the whole load.
  const org = await owner.query<{ currency: string; timezone: string; password_hash: string }>(
    `SELECT o.currency, o.timezone, u.password_hash FROM organizations o, users u WHERE o.id = $1 AND u.id = $2`,
    [orgId, adminId],
  );
  const { currency, timezone, password_hash: passwordHash } = org.rows[0]!;
  const signUpEvents = (
    await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1', [orgId])
  ).rows[0]!.n;
  const plannedEvents = Math.max(0, volumes.auditEvents - signUpEvents);

  await owner.query(`SELECT set_config('TimeZone', $1, false)`, [timezone]);
  await owner.query(SETUP_SQL);
  await owner.query('SELECT setseed($1)', [RANDOM_SEED]);
  await owner.query(PARAMS_SQL, [
    JSON.stringify({
      org_id: orgId,
      admin_id: adminId,
      domain,
      pw_hash: passwordHash,
      currency,
      scale: minorUnitScale(currency),
      n_users: volumes.users,
      n_clients: volumes.clients,
      n_projects: volumes.projects,
      n_tasks: volumes.tasks,
      // The total includes the events sign-up recorded.
      n_audit: plannedEvents,
      first_names: words.FIRST_NAMES,
      last_names: words.LAST_NAMES,
      company_a: words.COMPANY_A,
      company_b: words.COMPANY_B,
      project_areas: words.PROJECT_AREAS,
      project_kinds: words.PROJECT_KINDS,
      project_sentences: words.PROJECT_SENTENCES,
      task_verbs: words.TASK_VERBS,
      task_objects: words.TASK_OBJECTS,
      task_sentences: words.TASK_SENTENCES,
      comments: words.COMMENTS,
      time_notes: words.TIME_NOTES,
      task_tags: words.TASK_TAGS,
      project_tags: words.PROJECT_TAGS,
      client_tags: words.CLIENT_TAGS,
      client_notes: words.CLIENT_NOTES,
      contact_titles: words.CONTACT_TITLES,
      consent_sources: words.CONSENT_SOURCES,
      milestones: words.MILESTONES,
      expense_categories: words.EXPENSE_CATEGORIES,
      expense_notes: words.EXPENSE_NOTES,
      deal_titles: words.DEAL_TITLES,
      payment_methods: words.PAYMENT_METHODS,
      feedback_good: words.FEEDBACK_GOOD,
      feedback_neutral: words.FEEDBACK_NEUTRAL,
      feedback_bad: words.FEEDBACK_BAD,
      user_agents: words.USER_AGENTS,
    }),
  ]);
  await owner.query(CLOCK_SQL);

  try {
    await inTransaction(owner, async () => {
      for (const s of LOAD_STEPS) await step(s.name, () => owner.query(s.sql));
    });
  } catch (err) {
    throw new Error(
      `loading the demo data failed (${(err as Error).message}); the organization "${opts.subdomain}" was created but is incomplete: run again with --reset`,
      { cause: err },
    );
  }

  await step('audit history (plan)', () => owner.query(AUDIT_PLAN_SQL));
  await step('audit_events', async () => {
    for (let from = 0; from < plannedEvents; from += AUDIT_BATCH) {
      await owner.query({
        name: 'bul-demo-audit-batch',
        text: AUDIT_BATCH_SQL,
        values: [from, Math.min(from + AUDIT_BATCH, plannedEvents)],
      });
    }
  });
  // The history was inserted in time order; sealing links it in that order (created_at, id).
  await step('audit chain', () => sealChain(owner, orgId));
  // VACUUM as well: sealing rewrote every audit event, and until the dead versions are gone the
  // partial index of unsealed events (read by every cached answer's data version) holds 500,000
  // entries to skip: 4 ms a read instead of 0.5 ms on the large data, until autovacuum came by.
  await step('vacuum and analyze', () => owner.query(`VACUUM (ANALYZE) users, ${DEMO_TABLES.join(', ')}`));
  await owner.query('DISCARD TEMP; RESET max_parallel_workers_per_gather; RESET jit; RESET TimeZone');

  const countSql = `SELECT ${DEMO_TABLES.map((t) => `(SELECT count(*) FROM ${t} WHERE org_id = $1)::int AS ${t}`).join(', ')}`;
  const counts = (await owner.query<Record<string, number>>(countSql, [orgId])).rows[0]!;
  return {
    orgId,
    subdomain: opts.subdomain,
    adminEmail,
    replaced: existingId !== null,
    counts: { users: counts.memberships!, ...counts },
    seconds: (performance.now() - started) / 1000,
  };
}
