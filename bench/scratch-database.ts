// A database of its own for one bench run on a shared PostgreSQL server (BENCH_DATABASE_URL, an
// owner's URL): created fresh, dropped at the end, so that a run never writes into the database the
// URL names (nor finds a previous run's data there: its secrets were sealed with another key).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchDatabase {
  /** The URL of the new database (the server's URL with its name). */
  url: string;
  name: string;
  /** Drops it, whoever is still connected. */
  drop(): Promise<void>;
}

export async function scratchDatabase(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), name, drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
