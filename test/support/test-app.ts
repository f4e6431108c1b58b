// A BUL app on its own fresh database, for one test file. Talks to it with `inject` (no port).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { inject } from 'vitest';
import { type BulApp, buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { MasterKey } from '../../src/platform/crypto/master-key.ts';
import { createAppPool } from '../../src/platform/db/database.ts';
import { STRONG_PASSWORD, TEST_MASTER_KEY } from './constants.ts';

export interface TestApp extends BulApp {
  config: Config;
  /** Superuser connection string of this file's database (for setup and tamper tests). */
  ownerUrl: string;
  /** Connection string of the application role on this file's database. */
  appUrl: string;
  dbName: string;
  pool: pg.Pool;
  request(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Runs SQL as the database owner. */
  owner<T extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<T>>;
  close(): Promise<void>;
}

function withDatabase(url: string, db: string, credentials?: { user: string; password: string }): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  if (credentials) {
    u.username = encodeURIComponent(credentials.user);
    u.password = encodeURIComponent(credentials.password);
  }
  return u.toString();
}

/** Creates a database from the migrated template (retrying while another file copies it too). */
export async function createTestDatabase(): Promise<{ dbName: string; ownerUrl: string; adminUrl: string }> {
  const adminUrl = inject('pgAdminUrl');
  const template = inject('pgTemplate');
  const dbName = `${inject('pgDatabasePrefix')}${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${dbName} TEMPLATE ${template}`);
        break;
      } catch (err) {
        if (attempt > 50 || !/being accessed by other users/.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await admin.end();
  }
  return { dbName, ownerUrl: withDatabase(adminUrl, dbName), adminUrl };
}

export async function dropTestDatabase(adminUrl: string, dbName: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  await admin.end();
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const { dbName, ownerUrl, adminUrl } = await createTestDatabase();
  return buildTestApp({ dbName, ownerUrl, adminUrl, env, dropOnClose: true });
}

/** Another BUL process on the same database as `t` (to test what several processes share). */
export function createSiblingApp(t: TestApp, env: Record<string, string> = {}): Promise<TestApp> {
  return buildTestApp({ dbName: t.dbName, ownerUrl: t.ownerUrl, adminUrl: '', env, dropOnClose: false });
}

async function buildTestApp(o: {
  dbName: string;
  ownerUrl: string;
  adminUrl: string;
  env: Record<string, string>;
  dropOnClose: boolean;
}): Promise<TestApp> {
  const { dbName, ownerUrl, adminUrl, env } = o;
  // Files (attachments, uploads) go to a directory of this app's own unless the test names one.
  const ownDataDir = env.BUL_DATA_DIR ? null : mkdtempSync(path.join(os.tmpdir(), 'bul-test-data-'));
  const config = loadConfig({
    ...(ownDataDir ? { BUL_DATA_DIR: ownDataDir } : {}),
    DATABASE_URL: ownerUrl,
    BUL_MASTER_KEY: TEST_MASTER_KEY,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_STORE: 'memory',
    RATE_LIMIT_IP_PER_MINUTE: '100000',
    RATE_LIMIT_USER_PER_MINUTE: '100000',
    RATE_LIMIT_LOGIN_BURST: '100000',
    RATE_LIMIT_LOGIN_PER_SECOND: '100000',
    LOCKOUT_ACCOUNT_THRESHOLD: '1000',
    LOCKOUT_IP_THRESHOLD: '1000',
    ...env,
  });
  const masterKey = new MasterKey(Buffer.from(TEST_MASTER_KEY, 'base64'));
  const appUrl = withDatabase(ownerUrl, dbName, {
    user: config.databaseAppRole,
    password: masterKey.deriveText('database-app-password'),
  });
  const pool = createAppPool(appUrl, 10, () => {});
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2 }) : null;
  const built = await buildApp({ config, pool, masterKey, redis, logger: false });
  const ownerPool = new pg.Pool({ connectionString: ownerUrl, max: 2 });
  // pool.end() resolves once its connections are asked to close, not once they have: the database
  // dropped WITH (FORCE) right after can still terminate one, and the pool then reports that
  // idle connection's error (57P01). Without a listener that error fails the whole test run.
  ownerPool.on('error', () => {});
  return {
    ...built,
    config,
    ownerUrl,
    appUrl,
    dbName,
    pool,
    request: (opts) => built.app.inject(opts),
    owner: (sql, params) => ownerPool.query(sql, params as unknown[]),
    async close() {
      await built.app.close();
      await pool.end();
      await ownerPool.end();
      await redis?.quit();
      if (o.dropOnClose) await dropTestDatabase(adminUrl, dbName);
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
}

// ---- conveniences for the common journeys --------------------------------------------------

export interface Session {
  token: string;
  refreshToken: string;
  userId: string;
  orgId: string;
  email: string;
  headers: Record<string, string>;
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter++;
  return `${prefix}.${process.pid}.${counter}.${randomBytes(3).toString('hex')}@example.com`;
}

export function uniqueSubdomain(prefix = 'org'): string {
  counter++;
  return `${prefix}-${counter}-${randomBytes(3).toString('hex')}`;
}

/** Registers a user with a new organization and logs in with tokens. */
export async function signUp(
  t: TestApp,
  opts: { email?: string; name?: string; orgName?: string; subdomain?: string } = {},
): Promise<Session> {
  const email = opts.email ?? uniqueEmail();
  const reg = await t.request({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: {
      email,
      password: STRONG_PASSWORD,
      name: opts.name ?? 'Test User',
      organization: { name: opts.orgName ?? 'Test Org', subdomain: opts.subdomain ?? uniqueSubdomain() },
    },
  });
  if (reg.statusCode !== 201) throw new Error(`register failed: ${reg.statusCode} ${reg.body}`);
  return login(t, email);
}

export async function login(
  t: TestApp,
  email: string,
  password = STRONG_PASSWORD,
  extra: Record<string, unknown> = {},
): Promise<Session> {
  const res = await t.request({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password, ...extra },
  });
  const body = res.json();
  if (res.statusCode !== 200 || body.status !== 'authenticated')
    throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return {
    token: body.accessToken,
    refreshToken: body.refreshToken,
    userId: body.user.id,
    orgId: body.organization?.id,
    email,
    headers: { authorization: `Bearer ${body.accessToken}` },
  };
}

/** Invites an e-mail with a role (by built-in key) and accepts it, returning the new member's session. */
export async function addMember(
  t: TestApp,
  admin: Session,
  roleKey: string,
  email = uniqueEmail(roleKey),
): Promise<Session> {
  const roles = (await t.request({ method: 'GET', url: '/api/v1/roles', headers: admin.headers })).json()
    .items as { id: string; key: string | null; name: string }[];
  const role = roles.find((r) => r.key === roleKey || r.name === roleKey);
  if (!role) throw new Error(`no role ${roleKey}`);
  const inv = await t.request({
    method: 'POST',
    url: '/api/v1/invitations',
    headers: admin.headers,
    payload: { email, roleId: role.id },
  });
  if (inv.statusCode !== 201) throw new Error(`invite failed: ${inv.statusCode} ${inv.body}`);
  const acc = await t.request({
    method: 'POST',
    url: '/api/v1/invitations/accept',
    payload: { token: inv.json().token, name: `Member ${roleKey}`, password: STRONG_PASSWORD },
  });
  if (acc.statusCode !== 201) throw new Error(`accept failed: ${acc.statusCode} ${acc.body}`);
  return login(t, email, STRONG_PASSWORD, { organization: admin.orgId });
}

/** Skips with a printed reason, or fails when BUL_REQUIRE_ALL=1 (CI provides every service). */
export function requirement(available: boolean, reason: string): boolean {
  if (available) return true;
  if (process.env.BUL_REQUIRE_ALL === '1') throw new Error(`required for this test but missing: ${reason}`);
  console.warn(`[skipped] ${reason}`);
  return false;
}
