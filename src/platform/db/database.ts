// Where the database is and how BUL connects to it. Two identities:
//  - the owner (DATABASE_URL, or the embedded superuser): runs migrations and the CLI's audit check;
//  - the application role (DATABASE_APP_ROLE): owns no table, cannot bypass row-level security,
//    and is what every request and job uses. Its privileges come from the NOLOGIN group role
//    `bul_runtime`, which the migrations grant to.
import pg from 'pg';
import type { Config } from '../../config.ts';
import type { MasterKey } from '../crypto/master-key.ts';
import { type EmbeddedServer, startEmbeddedPostgres } from './embedded-server.ts';

// int8 (counts, sequence numbers) as JS numbers: BUL's int8 values stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// date as its YYYY-MM-DD text: a calendar day has no time zone, and JS Date would invent one.
pg.types.setTypeParser(1082, (v) => v);

export const EMBEDDED_DB_NAME = 'bul';
export const RUNTIME_GROUP_ROLE = 'bul_runtime';

export interface DatabaseLocation {
  ownerUrl: string;
  appUrl: string;
  embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

export async function locateDatabase(opts: {
  config: Config;
  masterKey: MasterKey;
  log: (message: string) => void;
  adopt?: boolean;
}): Promise<DatabaseLocation> {
  const { config, masterKey, log } = opts;
  let embedded: EmbeddedServer | null = null;
  let ownerUrl = config.databaseUrl;
  if (!ownerUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      superuserPassword: masterKey.deriveText('embedded-superuser-password'),
      log,
      adopt: opts.adopt ?? false,
    });
    ownerUrl = embedded.url(EMBEDDED_DB_NAME);
    await ensureDatabase(embedded.url('postgres'), EMBEDDED_DB_NAME).catch(async (err) => {
      await embedded?.stop();
      throw friendlyConnectError(err);
    });
  }
  const appUrl = withCredentials(
    ownerUrl,
    config.databaseAppRole,
    config.databaseAppPassword ?? masterKey.deriveText('database-app-password'),
  );
  return { ownerUrl, appUrl, embedded, close: async () => embedded?.stop() };
}

function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

async function ensureDatabase(maintenanceUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

function friendlyConnectError(err: unknown): Error {
  const e = err as { code?: string; message?: string };
  if (e.code === '28P01') {
    return new Error(
      'cannot log in to the embedded PostgreSQL: BUL_MASTER_KEY (or BUL_DATA_DIR/master.key) differs from the one that created it',
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Retries a role change that a concurrent BUL process (or test run) on the same server collides with. */
async function withRoleRetry(run: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await run();
      return;
    } catch (err) {
      // XX000 "tuple concurrently updated": two sessions altered the same role at once.
      if ((err as { code?: string }).code !== 'XX000' || attempt >= 10) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 100));
    }
  }
}

async function canLogIn(appUrl: string): Promise<boolean> {
  const probe = new pg.Client({
    connectionString: appUrl,
    application_name: 'bul-provision',
    connectionTimeoutMillis: 5000,
  });
  try {
    await probe.connect();
    return true;
  } catch {
    return false;
  } finally {
    await probe.end().catch(() => {});
  }
}

/**
 * Makes sure the application's login role exists, can log in with the expected password, is a
 * member of bul_runtime and has no power to bypass row-level security. Roles are shared by every
 * database of a server, so it changes only what is missing (and retries collisions).
 */
export async function provisionAppRole(
  owner: pg.ClientBase,
  role: string,
  password: string,
  appUrl: string,
): Promise<void> {
  const ident = owner.escapeIdentifier(role);
  const pw = owner.escapeLiteral(password);
  const found = await owner.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
    'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1',
    [role],
  );
  if (found.rowCount === 0) {
    try {
      await owner.query(
        `CREATE ROLE ${ident} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD ${pw}`,
      );
    } catch (err) {
      // Another BUL process (or test) sharing the server created it a moment ago.
      const code = (err as { code?: string }).code;
      if (code !== '42710' && code !== '23505' && code !== 'XX000') throw err;
    }
  } else if (found.rows[0]?.rolsuper || found.rows[0]?.rolbypassrls) {
    throw new Error(
      `DATABASE_APP_ROLE: the role ${role} is a superuser or has BYPASSRLS; the application role must not bypass row-level security`,
    );
  }
  if (!(await canLogIn(appUrl)))
    await withRoleRetry(() => owner.query(`ALTER ROLE ${ident} LOGIN PASSWORD ${pw}`));
  const member = await owner.query<{ m: boolean }>(
    `SELECT pg_has_role($1, '${RUNTIME_GROUP_ROLE}', 'MEMBER') AS m`,
    [role],
  );
  if (!member.rows[0]?.m) await withRoleRetry(() => owner.query(`GRANT ${RUNTIME_GROUP_ROLE} TO ${ident}`));
}

export function createAppPool(appUrl: string, max: number, onError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: appUrl,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: 'bul',
    // Requests are short OLTP queries: JIT compilation costs more (~0.5 s a statement seen on large
    // tables) than it could ever save them.
    options: '-c jit=off',
  });
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  return pool;
}
