// Starts one PostgreSQL for the whole run — the embedded server in a temporary directory, or the
// server of TEST_DATABASE_URL — and prepares a migrated template database that each test file
// copies (CREATE DATABASE ... TEMPLATE), so every file gets a fresh, isolated database in ~100 ms.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config.ts';
import { MasterKey } from '../../src/platform/crypto/master-key.ts';
import { type EmbeddedServer, startEmbeddedPostgres } from '../../src/platform/db/embedded-server.ts';
import { prepareDatabase } from '../../src/runtime.ts';
import { TEST_MASTER_KEY } from './constants.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test server's maintenance database. */
    pgAdminUrl: string;
    /** This run's migrated template database, and the prefix of the databases copied from it. */
    pgTemplate: string;
    pgDatabasePrefix: string;
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  let embedded: EmbeddedServer | null = null;
  let dataDir: string | null = null;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'bul-test-pg-'));
    embedded = await startEmbeddedPostgres({
      dataDir,
      superuserPassword: new MasterKey(Buffer.from(TEST_MASTER_KEY, 'base64')).deriveText(
        'embedded-superuser-password',
      ),
      log: () => {},
      adopt: false,
    });
    adminUrl = embedded.url('postgres');
  }
  // Names unique to this run, so that runs sharing one server (TEST_DATABASE_URL) never collide.
  const runId = randomBytes(4).toString('hex');
  const template = `bul_tpl_${runId}`;
  const prefix = `bul_t_${runId}_`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();

  const config = loadConfig({
    DATABASE_URL: withDatabase(adminUrl, template),
    BUL_MASTER_KEY: TEST_MASTER_KEY,
    BUL_DATA_DIR: dataDir ?? os.tmpdir(),
  });
  const { location } = await prepareDatabase(config, pino({ level: 'silent' }));
  await location.close();

  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);
  project.provide('pgDatabasePrefix', prefix);
  return async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    const { rows } = await cleanup.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR datname = $2',
      [prefix, template],
    );
    for (const r of rows)
      await cleanup.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`).catch(() => {});
    await cleanup.end();
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
