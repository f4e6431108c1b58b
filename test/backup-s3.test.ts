// Backups on S3 end to end, against a local S3-compatible server (s3rver): BUL configured with
// BACKUP_TARGET=s3 and a copy to a directory (BACKUP_COPY_TARGET=directory), a full and an
// incremental through the API and the worker's jobs, each verified after it was written (a restore
// into a scratch database compared with the manifest), the copy readable on its own (every byte and
// tag), and an organization restore dry run read back from the bucket.

import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTarget } from '../src/platform/backup/targets/index.ts';
import { verifyBackupFiles } from '../src/platform/backup/verify.ts';
import { MasterKey } from '../src/platform/crypto/master-key.ts';
import { type JobRunner, startWorker } from '../src/platform/jobs/worker.ts';
import { apiHelpers } from './support/api-helpers.ts';
import { TEST_MASTER_KEY } from './support/constants.ts';
import { composeWorker } from './support/event-worker-inline.ts';
import { createTestApp, login, type Session, signUp, type TestApp } from './support/test-app.ts';
import { until as untilDefault } from './support/until.ts';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
// s3rver ships no types; this is the part of its API the test uses.
type S3rverClass = new (o: {
  port: number;
  address: string;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const PASSPHRASE = 'a passphrase for the bucket test';
const BUCKET = 'bul-s3-test';
const root = mkdtempSync(path.join(os.tmpdir(), 'bul-backup-s3-'));
const copyDir = path.join(root, 'copy');
let server: S3rverInstance;
let endpoint = '';
let t: TestApp;
let superAdmin: Session;
let admin: Session;
let worker: JobRunner;

const s3Target = () =>
  createTarget({
    kind: 's3',
    bucket: BUCKET,
    prefix: 'bul',
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });

beforeAll(async () => {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory: path.join(root, 's3rver'),
    silent: true,
    configureBuckets: [{ name: BUCKET }],
  });
  endpoint = `http://127.0.0.1:${(await server.run()).port}`;
  t = await createTestApp({
    BACKUP_TARGET: 's3',
    BACKUP_S3_BUCKET: BUCKET,
    BACKUP_S3_PREFIX: 'bul',
    BACKUP_S3_ENDPOINT: endpoint,
    BACKUP_S3_FORCE_PATH_STYLE: 'true',
    BACKUP_S3_ACCESS_KEY_ID: 'S3RVER',
    BACKUP_S3_SECRET_ACCESS_KEY: 'S3RVER',
    BACKUP_COPY_TARGET: 'directory',
    BACKUP_COPY_DIR: copyDir,
    BACKUP_PASSPHRASE: PASSPHRASE,
  });
  admin = await signUp(t, { orgName: 'Bucket org' });
  const sa = await signUp(t, { orgName: 'Bucket operators' });
  await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [sa.userId]);
  superAdmin = await login(t, sa.email);
  const c = await composeWorker(t);
  worker = await startWorker({
    pool: t.pool,
    jobs: c.jobs().filter((j) => j.name.startsWith('backups:')),
    concurrency: 1,
    log: pino({ level: 'silent' }),
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const { api } = apiHelpers(
  () => t,
  () => superAdmin,
);

interface Run {
  id: string;
  status: string;
  storedBytes: number | null;
  copy: { status: string } | null;
  verify: { status: string; detail: unknown } | null;
  error: { code: string; message: string } | null;
}

/** Runs a backup through the API and waits until it, its copy and its verification are done. */
async function backup(type: 'full' | 'incremental'): Promise<Run> {
  const res = await api(superAdmin, 'POST', '/backup/run', { type });
  expect(res.statusCode, res.body).toBe(202);
  const id = (res.json() as Run).id;
  return until(`the ${type} backup, its copy and its verification`, async () => {
    const r = (await api(superAdmin, 'GET', `/backup/runs/${id}`)).json() as Run;
    if (r.status === 'failed') throw new Error(`backup failed: ${JSON.stringify(r.error)}`);
    return (
      r.status === 'succeeded' &&
      Boolean(r.copy?.status) &&
      r.verify !== null &&
      r.verify.status !== 'pending' &&
      r
    );
  });
}

it('writes to the bucket, copies to a directory, verifies each backup, and restores from the bucket', async () => {
  const put = await api(superAdmin, 'PUT', '/backup/configs', { verifyAfterBackup: true });
  expect(put.statusCode, put.body).toBe(200);
  for (const name of ['Acme', 'Globex']) {
    expect((await api(admin, 'POST', '/clients', { name })).statusCode).toBe(201);
  }

  const full = await backup('full');
  expect(full.copy).toEqual({ status: 'copied' });
  expect(full.verify?.status, JSON.stringify(full.verify)).toBe('passed');
  // The objects are in the bucket, under the prefix, and the copy stands on its own.
  expect(await s3Target().list()).toContain(full.id);
  expect(await s3Target().head(`${full.id}/manifest.json`)).not.toBeNull();
  const installationId = new MasterKey(Buffer.from(TEST_MASTER_KEY, 'base64')).deriveText(
    'backup-installation-id',
  );
  const copied = await verifyBackupFiles(
    createTarget({ kind: 'directory', dir: copyDir }),
    full.id,
    { kind: 'passphrase', passphrase: PASSPHRASE },
    { installationId },
  );
  expect(copied.ok, JSON.stringify(copied.parts.filter((p) => !p.ok))).toBe(true);
  expect(copied.bytesRead).toBe(full.storedBytes);

  // An incremental on top, verified through its chain (the full read back from the bucket).
  const { rows } = await t.owner<{ id: string }>('SELECT id FROM clients WHERE org_id = $1 AND name = $2', [
    admin.orgId,
    'Globex',
  ]);
  expect((await api(admin, 'DELETE', `/clients/${rows[0]!.id}`)).statusCode).toBeLessThan(300);
  expect((await api(admin, 'POST', '/clients', { name: 'Initech' })).statusCode).toBe(201);
  const incremental = await backup('incremental');
  expect(incremental.verify?.status, JSON.stringify(incremental.verify)).toBe('passed');

  // A dry run of the organization's restore to the full, read from the bucket: Globex comes back,
  // Initech goes, nothing changes.
  const dry = await api(admin, 'POST', '/backup/recover', {
    backup_id: full.id,
    scope: 'organization',
    dry_run: true,
  });
  expect(dry.statusCode, dry.body).toBe(200);
  const report = dry.json() as { tables: { table: string; added: number; removed: number }[] };
  const clients = report.tables.find((x) => x.table === 'clients');
  expect(clients).toMatchObject({ added: 1, removed: 1 });
  const names = await t.owner<{ name: string }>('SELECT name FROM clients WHERE org_id = $1 ORDER BY name', [
    admin.orgId,
  ]);
  expect(names.rows.map((r) => r.name)).toEqual(['Acme', 'Initech']);
}, 180_000);

/** This file's default wait is longer (backups and verifications in a worker). */
function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 90_000): Promise<T> {
  return untilDefault(what, fn, ms);
}
