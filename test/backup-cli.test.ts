// `bul backup` as a process (issue 18, C) against a test database: run, list --json, verify and
// restore with their exit codes (0 ok, 1 failure naming it, 2 usage); a restore clears the
// servers' cache (NOTIFY, or their Redis); a corrupted part makes verify exit 1 naming the part.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MASTER_KEY } from './support/constants.ts';
import { makeDataDir, runBul } from './support/process.ts';
import {
  createSiblingApp,
  createTestApp,
  requirement,
  type Session,
  signUp,
  type TestApp,
} from './support/test-app.ts';
import { until } from './support/until.ts';

let t: TestApp;
let onRedis: TestApp | undefined;
let admin: Session;
let env: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  admin = await signUp(t, { orgName: 'CLI backups' });
  const dataDir = makeDataDir();
  env = {
    DATABASE_URL: t.ownerUrl,
    BUL_MASTER_KEY: TEST_MASTER_KEY,
    BUL_DATA_DIR: dataDir,
    BACKUP_DIR: path.join(dataDir, 'backups'),
    LOG_LEVEL: 'warn',
  };
}, 60_000);

afterAll(async () => {
  await onRedis?.close();
  await t?.close();
});

const bul = (args: string[], more: Record<string, string> = {}) =>
  runBul(['backup', ...args], { ...env, ...more }, 120_000);

async function clientNames() {
  const { rows } = await t.owner<{ name: string }>(
    'SELECT name FROM clients WHERE org_id = $1 ORDER BY name',
    [admin.orgId],
  );
  return rows.map((r) => r.name);
}

describe('bul backup', () => {
  let id: string;

  it('answers usage errors with exit 2', async () => {
    expect((await bul([])).code).toBe(2);
    const bad = await bul(['run', '--type', 'hourly']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--type must be one of');
    expect((await bul(['verify'])).code).toBe(2);
    expect((await bul(['restore', 'not-an-id'])).code).toBe(2);
    expect((await bul(['list', '--bogus'])).code).toBe(2);
    // A restore that changes the database needs --yes without a terminal.
    const noYes = await bul(['restore', '01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    // Six starts of the command (2 s of CPU each: it loads BUL before it reads its arguments).
  }, 180_000);

  it('runs a full backup and lists it', async () => {
    await t.request({
      method: 'POST',
      url: '/api/v1/clients',
      headers: admin.headers,
      payload: { name: 'Kept' },
    });
    const run = await bul(['run', '--type', 'full']);
    expect(run.code, run.stderr).toBe(0);
    const m = /backup ([0-9a-f-]{36}) \(full\) succeeded/.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    id = m?.[1] as string;
    // Not a terminal: one line per phase, no progress bar.
    expect(run.stderr).toContain('backup: tables');
    const list = await bul(['list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const json = JSON.parse(list.stdout);
    expect(json.items[0]).toMatchObject({ id, type: 'full', trigger: 'cli', status: 'succeeded' });
  }, 120_000);

  it('takes an incremental on the full; verify passes', async () => {
    const inc = await bul(['run', '--type', 'incremental']);
    expect(inc.code, inc.stderr).toBe(0);
    const verify = await bul(['verify', id]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('checksums match');
  }, 120_000);

  it('restores with --dry-run (nothing changes) and with --yes', async () => {
    await t.request({
      method: 'POST',
      url: '/api/v1/clients',
      headers: admin.headers,
      payload: { name: 'Added later' },
    });
    expect(await clientNames()).toEqual(['Added later', 'Kept']);
    const dry = await bul(['restore', id, '--tables', 'clients', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/clients\s+\+0 ~0 -1/);
    expect(await clientNames()).toEqual(['Added later', 'Kept']);
    const apply = await bul(['restore', id, '--org', admin.orgId, '--yes']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/safety backup [0-9a-f-]{36}/);
    expect(await clientNames()).toEqual(['Kept']);
  }, 180_000);

  it('clears the servers’ cache once the restore committed: over NOTIFY, and on their Redis when REDIS_URL is set', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/api/v1/clients',
      headers: admin.headers,
      payload: { name: 'Gives feedback' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const clientId = created.json().id as string;
    const responses = async (app: TestApp) => {
      const res = await app.request({
        method: 'GET',
        url: '/api/v1/executive/metrics',
        headers: admin.headers,
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().satisfaction.responses as number;
    };
    // Each round: a server caches the figure, `bul backup restore` (its own process) takes the
    // feedback back to the backup (none); a restore of tables moves no data version, so only the
    // command's invalidation can reach the server's entry.
    const round = async (name: string, app: TestApp, more: Record<string, string>) => {
      const fb = await t.request({
        method: 'POST',
        url: '/api/v1/feedback',
        headers: admin.headers,
        payload: { clientId, score: 5 },
      });
      expect(fb.statusCode, fb.body).toBe(201);
      const cached = await responses(app);
      expect(cached, name).toBeGreaterThan(0);
      const apply = await bul(['restore', id, '--tables', 'feedback', '--yes'], more);
      expect(apply.code, apply.stderr).toBe(0);
      await until(`${name}: the restored figure`, async () => (await responses(app)) === 0, 15_000);
    };
    await round('memory store, NOTIFY', t, {});
    const redisUrl = process.env.REDIS_URL;
    if (!requirement(Boolean(redisUrl), 'REDIS_URL is not set (a CLI restore clearing the Redis store)'))
      return;
    onRedis = await createSiblingApp(t, { REDIS_URL: redisUrl as string, CACHE_STORE: 'redis' });
    await round('Redis store', onRedis, { REDIS_URL: redisUrl as string });
  }, 300_000);

  it('exits 1 naming the part when a part is corrupted', async () => {
    const parts = path.join(env.BACKUP_DIR as string, id, 'parts');
    const file =
      readdirSync(parts)
        .sort()
        .find((f) => f.includes('clients')) ?? readdirSync(parts)[0];
    const p = path.join(parts, file as string);
    const bytes = readFileSync(p);
    const at = Math.floor(bytes.length / 2);
    bytes.writeUInt8((bytes.readUInt8(at) ^ 0xff) & 0xff, at);
    writeFileSync(p, bytes);
    const verify = await bul(['verify', id]);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain(`FAIL ${id} part`);
    expect(verify.stderr).toContain('clients');
    const missing = await bul(['verify', '01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('failed verification');
  }, 120_000);
});
