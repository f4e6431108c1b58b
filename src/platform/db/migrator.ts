// Forward-only numbered SQL migrations (src/migrations/NNNN_name.sql), each applied once in its
// own transaction and recorded with a checksum. A landed migration is never edited: a changed
// checksum stops the start with an error. Concurrent starters serialise on an advisory lock.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const MIGRATIONS_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'migrations',
);
const LOCK_KEY = 4_242_001; // arbitrary, constant: "BUL migrations"

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  return files.map((file) => {
    const sql = readFileSync(path.join(dir, file), 'utf8');
    return {
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    };
  });
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS bul_schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

export interface MigrationStatus {
  applied: number[];
  pending: Migration[];
}

/** Compares the files with what the database recorded; throws on edited or unknown migrations. */
export async function migrationStatus(
  client: pg.ClientBase,
  migrations = readMigrations(),
): Promise<MigrationStatus> {
  const exists = await client.query(`SELECT to_regclass('bul_schema_migrations') AS t`);
  if (!exists.rows[0]?.t) return { applied: [], pending: migrations };
  const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
    'SELECT version, name, checksum FROM bul_schema_migrations ORDER BY version',
  );
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const row of rows) {
    const file = byVersion.get(row.version);
    if (!file)
      throw new Error(
        `the database has migration ${row.version} (${row.name}) that this BUL does not know; it is newer than this code`,
      );
    if (file.checksum !== row.checksum)
      throw new Error(
        `migration ${row.version} (${row.name}) was edited after it was applied; migrations are forward-only, add a new one`,
      );
  }
  const applied = new Set(rows.map((r) => r.version));
  return { applied: [...applied], pending: migrations.filter((m) => !applied.has(m.version)) };
}

export async function migrate(ownerUrl: string, log: (message: string) => void): Promise<number> {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: 'bul-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(CREATE_TABLE);
    const { pending } = await migrationStatus(client);
    for (const m of pending) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(
          'INSERT INTO bul_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
          [m.version, m.name, m.checksum],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
      log(`applied migration ${String(m.version).padStart(4, '0')}_${m.name}`);
    }
    return pending.length;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
