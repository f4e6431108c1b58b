// Several BUL processes started at once on one database (a cluster coming up, a rolling deploy) each
// prepare it: migrations, the job queue's schema and grants, the application role. They must take
// turns; otherwise two GRANTs on the same catalogue rows end one start with
// "tuple concurrently updated" (seen in CI when two API processes and a worker started together).
import os from 'node:os';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { prepareDatabase } from '../src/runtime.ts';
import { TEST_MASTER_KEY } from './support/constants.ts';
import { createTestDatabase, dropTestDatabase } from './support/test-app.ts';

const databases: { adminUrl: string; dbName: string }[] = [];
afterAll(async () => {
  for (const d of databases) await dropTestDatabase(d.adminUrl, d.dbName);
});

it('four processes preparing one database at once all succeed, five times over', async () => {
  const db = await createTestDatabase();
  databases.push(db);
  const config = loadConfig({
    DATABASE_URL: db.ownerUrl,
    BUL_MASTER_KEY: TEST_MASTER_KEY,
    BUL_DATA_DIR: os.tmpdir(),
  });
  const log = pino({ level: 'silent' });
  for (let round = 0; round < 5; round++) {
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, async () => {
        const { location } = await prepareDatabase(config, log);
        await location.close();
      }),
    );
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures, `round ${round}`).toEqual([]);
  }
}, 120_000);
