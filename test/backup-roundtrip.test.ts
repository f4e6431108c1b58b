// The large round trip: the large demo organization (100k tasks, 500k audit events) next to a small
// one, a full backup and two incrementals with updates and deletes in between, then the chain
// restored into an empty database and into the live one (both equal the source table by table),
// and a single-organization restore that leaves the other organization byte-identical.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedDemo } from '../src/modules/system/demo-data.ts';
import { isOutsideOrganizationRestore, readCatalog } from '../src/platform/backup/catalog.ts';
import { tableChecksums } from '../src/platform/backup/checksums.ts';
import type { KeySource } from '../src/platform/backup/keys.ts';
import type { BackupManifest } from '../src/platform/backup/manifest.ts';
import { restoreBackup } from '../src/platform/backup/restore.ts';
import { restoreIntoEmpty } from '../src/platform/backup/restore-empty.ts';
import { createTarget } from '../src/platform/backup/targets/index.ts';
import { writeBackup } from '../src/platform/backup/write-backup.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import { createTestApp, createTestDatabase, dropTestDatabase, type TestApp } from './support/test-app.ts';

const INSTALLATION = 'test-installation-roundtrip';
const keySource: KeySource = { kind: 'passphrase', passphrase: 'correct horse battery staple' };

let t: TestApp;
let owner: pg.Client;
let dir: string;
let big: string;
let small: string;
const scratch: { dbName: string; adminUrl: string }[] = [];
const timings: Record<string, number> = {};

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const out = await work();
  timings[name] = Math.round(performance.now() - start);
  return out;
}

const target = () => createTarget({ kind: 'directory', dir });
const backup = (type: BackupManifest['type'], parent: BackupManifest | null) =>
  writeBackup({
    ownerUrl: t.ownerUrl,
    target: target(),
    keySource,
    installationId: INSTALLATION,
    bulVersion: 'test',
    type,
    parent,
    jobs: 2,
  });

async function checksums(url: string, m: BackupManifest, org?: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    if (!org) return await tableChecksums(c, m.tables);
    const catalog = await readCatalog(c);
    const out = new Map<string, { rows: number; checksum: string }>();
    for (const mt of m.tables) {
      const info = catalog.tables.find((x) => x.name === mt.name)!;
      if (!info.orgScoped || mt.name === 'organizations' || isOutsideOrganizationRestore(mt.name)) continue;
      await c.query(
        `CREATE TEMP VIEW v_${mt.name} AS SELECT * FROM ${mt.name} WHERE ${mt.name === 'organizations' ? 'id' : 'org_id'} = '${org}'`,
      );
      out.set(
        mt.name,
        (await tableChecksums(c, [{ name: `v_${mt.name}`, columns: mt.columns }])).get(`v_${mt.name}`)!,
      );
    }
    return out;
  } finally {
    await c.end();
  }
}

/** Written by the test app's own background loops (the monitoring sampler) while the test runs. */
const LIVE_WRITERS = ['monitoring_samples', 'monitoring_rollups'];

function expectState(sums: Map<string, { rows: number; checksum: string }>, m: BackupManifest, live = false) {
  const bad = m.tables
    .filter((mt) => !live || !LIVE_WRITERS.includes(mt.name))
    .filter(
      (mt) => sums.get(mt.name)?.rows !== mt.stateRows || sums.get(mt.name)?.checksum !== mt.stateChecksum,
    )
    .map((mt) => mt.name);
  expect(bad).toEqual([]);
}

beforeAll(async () => {
  t = await createTestApp();
  owner = new pg.Client({ connectionString: t.ownerUrl });
  await owner.connect();
  dir = mkdtempSync(path.join(os.tmpdir(), 'bul-backup-roundtrip-'));
  big = (
    await timed('seed large', () =>
      seedDemo(
        { owner, identity: t.services.identity },
        { size: 'large', subdomain: 'big', password: STRONG_PASSWORD },
      ),
    )
  ).orgId;
  small = (
    await seedDemo(
      { owner, identity: t.services.identity },
      { size: 'small', subdomain: 'small', password: STRONG_PASSWORD },
    )
  ).orgId;
}, 600_000); // seeding the large data took 148 s on an idle CI machine

afterAll(async () => {
  console.log(`backup round trip timings (ms): ${JSON.stringify(timings)}`);
  await owner?.end();
  for (const db of scratch) await dropTestDatabase(db.adminUrl, db.dbName);
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('full + two incrementals restore into an empty and into the live database equal to the source', async () => {
  const full = await timed('full backup', () => backup('full', null));
  expect(full.tables.find((x) => x.name === 'tasks')!.rows).toBeGreaterThanOrEqual(100_000);
  expect(full.tables.find((x) => x.name === 'audit_events')!.rows).toBeGreaterThanOrEqual(500_000);

  await owner.query(
    `UPDATE tasks SET priority = 'high' WHERE org_id = $1 AND id IN
    (SELECT id FROM tasks WHERE org_id = $1 ORDER BY id LIMIT 2000)`,
    [big],
  );
  await owner.query(
    `DELETE FROM task_comments WHERE org_id = $1 AND id IN
    (SELECT id FROM task_comments WHERE org_id = $1 ORDER BY id LIMIT 500)`,
    [big],
  );
  const i1 = await timed('incremental 1', () => backup('incremental', full));
  expect(i1.tables.find((x) => x.name === 'tasks')!.rows).toBe(2000);

  await owner.query(`UPDATE projects SET name = name || ' (2)' WHERE org_id = $1`, [small]);
  await owner.query(
    `DELETE FROM tasks WHERE org_id = $1 AND id IN
    (SELECT id FROM tasks WHERE org_id = $1 ORDER BY id DESC LIMIT 300)`,
    [big],
  );
  const i2 = await timed('incremental 2', () => backup('incremental', i1));
  expect(i2.tables.find((x) => x.name === 'tasks')!.stateRows).toBe(
    full.tables.find((x) => x.name === 'tasks')!.rows - 300,
  );

  const db = await createTestDatabase();
  scratch.push(db);
  const restored = await timed('restoreIntoEmpty (3 links)', () =>
    restoreIntoEmpty({
      databaseUrl: db.ownerUrl,
      target: target(),
      keySource,
      installationId: INSTALLATION,
      chain: [full, i1, i2],
      jobs: 2,
    }),
  );
  expect(restored.rows).toBe(i2.tables.reduce((a, x) => a + (x.stateRows ?? 0), 0));
  expectState(await checksums(db.ownerUrl, i2), i2);

  // Live: more changes in both organizations, then the chain restored whole over them.
  await owner.query(
    `UPDATE tasks SET title = 'changed after' WHERE org_id = $1 AND id IN
    (SELECT id FROM tasks WHERE org_id = $1 ORDER BY id LIMIT 500)`,
    [big],
  );
  await owner.query(`DELETE FROM feedback WHERE org_id = $1`, [small]);
  const report = await timed('restoreBackup all (live)', () =>
    restoreBackup({
      ownerUrl: t.ownerUrl,
      target: target(),
      keySource,
      installationId: INSTALLATION,
      chain: [full, i1, i2],
      scope: { kind: 'all' },
      dryRun: false,
    }),
  );
  expect(report.tables.find((x) => x.table === 'tasks')!.changed).toBe(500);
  expectState(await checksums(t.ownerUrl, i2), i2, true);

  // One organization: the small one goes back, the big one is left exactly as it is.
  await owner.query(
    `UPDATE tasks SET title = 'big edit' WHERE org_id = $1 AND id IN
    (SELECT id FROM tasks WHERE org_id = $1 ORDER BY id LIMIT 100)`,
    [big],
  );
  await owner.query(`UPDATE tasks SET title = 'small edit' WHERE org_id = $1`, [small]);
  await owner.query(
    `DELETE FROM clients WHERE org_id = $1 AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c.org_id = clients.org_id AND c.client_id = clients.id)
    AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.org_id = clients.org_id AND i.client_id = clients.id)
    AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.org_id = clients.org_id AND f.client_id = clients.id)`,
    [small],
  );
  const bigBefore = await checksums(t.ownerUrl, i2, big);
  const smallWanted = await checksums(db.ownerUrl, i2, small);
  const orgReport = await timed('restoreBackup organization (live)', () =>
    restoreBackup({
      ownerUrl: t.ownerUrl,
      target: target(),
      keySource,
      installationId: INSTALLATION,
      chain: [full, i1, i2],
      scope: { kind: 'organization', orgId: small },
      dryRun: false,
    }),
  );
  expect(orgReport.tables.find((x) => x.table === 'tasks')!.changed).toBeGreaterThan(0);
  expect(await checksums(t.ownerUrl, i2, big)).toEqual(bigBefore);
  expect(await checksums(t.ownerUrl, i2, small)).toEqual(smallWanted);
}, 480_000);
