// Backup targets (src/platform/backup/targets): a directory publishes a file only once complete
// (".partial" + fsync + rename), lists, reads from an offset, removes idempotently, and on a full
// disk (a 2 MiB tmpfs mounted by this test) fails with disk_full leaving no partial file; an S3
// target against s3rver does the same operations, a 20 MiB multipart upload, and reports a missing
// bucket or an unreachable endpoint as target_unavailable.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupError } from '../src/platform/backup/errors.ts';
import { readPart, writePart } from '../src/platform/backup/part-codec.ts';
import { type BackupTarget, createTarget } from '../src/platform/backup/targets/index.ts';
import type { S3Target } from '../src/platform/backup/targets/s3.ts';
import { requirement } from './support/test-app.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'bul-backup-targets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const MiB = 1024 * 1024;

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rejection(p: Promise<unknown>): Promise<BackupError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BackupError);
    return e as BackupError;
  }
  throw new Error('expected a rejection');
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The operations both kinds of target share. */
async function commonOperations(target: BackupTarget): Promise<void> {
  const a = randomBytes(300_000);
  expect(await target.put('b-1/manifest.json', Readable.from([Buffer.from('{"x":1}')]))).toEqual({
    bytes: 7,
  });
  expect(
    await target.put('b-1/parts/001-users.bin', Readable.from([a]), { contentLength: a.length }),
  ).toEqual({
    bytes: a.length,
  });
  await target.put('b-2/manifest.json', Readable.from([Buffer.from('{}')]));
  // A top-level object too: s3rver 3.7.1 misses a common prefix holding only deeper keys (real S3 does not).
  await target.put('c-3/manifest.json', Readable.from([Buffer.from('x')]));
  await target.put('c-3/parts/x.bin', Readable.from([Buffer.from('x')]));
  expect(await target.list()).toEqual(['b-1', 'b-2', 'c-3']);
  expect(await target.list('b-')).toEqual(['b-1', 'b-2']);
  expect(await target.head('b-1/parts/001-users.bin')).toEqual({ bytes: a.length });
  expect(await target.head('b-1/parts/none.bin')).toBeNull();
  expect(await target.head('nothing/manifest.json')).toBeNull();
  expect((await collect(await target.get('b-1/parts/001-users.bin'))).equals(a)).toBe(true);
  expect(
    (await collect(await target.get('b-1/parts/001-users.bin', { start: 1000 }))).equals(a.subarray(1000)),
  ).toBe(true);
  // Overwrite replaces.
  await target.put('b-2/manifest.json', Readable.from([Buffer.from('{"v":2}')]));
  expect((await collect(await target.get('b-2/manifest.json'))).toString()).toBe('{"v":2}');
  const missing = await rejection(target.get('b-1/parts/none.bin'));
  expect(missing.code).toBe('part_missing');
  expect(missing.part).toBe('b-1/parts/none.bin');
  expect(missing.message).toBe(`part b-1/parts/none.bin is missing from ${target.description}`);
  // Keys that could leave the target are refused.
  await expect(target.get('../etc/passwd')).rejects.toBeInstanceOf(BackupError);
  await expect(target.removeBackup('..')).rejects.toBeInstanceOf(BackupError);
  await target.removeBackup('b-1');
  await target.removeBackup('b-1');
  await target.removeBackup('never-existed');
  expect(await target.list()).toEqual(['b-2', 'c-3']);
  expect(await target.head('b-1/parts/001-users.bin')).toBeNull();
  await target.probe();
  expect(await target.list()).toEqual(['b-2', 'c-3']);
}

/** writePart from a source that fails midway (a broken COPY): its own error, nothing stored. */
async function failingSource(target: BackupTarget): Promise<void> {
  const source = new PassThrough();
  const key = randomBytes(32);
  const written = writePart(
    { target, key, backupId: 'src-fail', compressionLevel: 3 },
    { name: '001-t', file: '001-t.bin', kind: 'table' },
    source,
  );
  source.write(randomBytes(3 * MiB));
  const broken = new Error('COPY failed: connection terminated');
  source.destroy(broken);
  await expect(written).rejects.toBe(broken);
  expect(await target.head('src-fail/parts/001-t.bin')).toBeNull();
  await target.removeBackup('src-fail');
}

describe('directory target', () => {
  it('put / get / head / list / remove / probe', async () => {
    const dir = path.join(root, 'dir-common');
    const target = createTarget({ kind: 'directory', dir });
    expect(target.kind).toBe('directory');
    expect(target.description).toBe(`directory ${dir}`);
    expect(await target.list()).toEqual([]);
    await commonOperations(target);
    expect(readdirSync(dir).sort()).toEqual(['b-2', 'c-3']);
  });

  it('an object is visible only once complete: written to .partial, then renamed', async () => {
    const dir = path.join(root, 'dir-atomic');
    const target = createTarget({ kind: 'directory', dir });
    const body = new PassThrough();
    const file = path.join(dir, 'b', 'parts', 'p.bin');
    const put = target.put('b/parts/p.bin', body);
    body.write(Buffer.alloc(1000, 1));
    await until(
      () => existsSync(`${file}.partial`) && readFileSync(`${file}.partial`).length === 1000,
      'the partial file',
    );
    expect(existsSync(file)).toBe(false);
    expect(await target.head('b/parts/p.bin')).toBeNull();
    body.end(Buffer.alloc(500, 2));
    expect(await put).toEqual({ bytes: 1500 });
    expect(existsSync(`${file}.partial`)).toBe(false);
    expect(readFileSync(file).length).toBe(1500);
  });

  it('a failing body leaves neither the file nor the partial file, and its error wins', async () => {
    const dir = path.join(root, 'dir-fail');
    const target = createTarget({ kind: 'directory', dir });
    const body = new PassThrough();
    const put = target.put('b/parts/p.bin', body);
    body.write(Buffer.alloc(1000));
    const file = path.join(dir, 'b', 'parts', 'p.bin');
    await until(() => existsSync(`${file}.partial`), 'the partial file');
    body.destroy(new BackupError('part_corrupt', 'part p: broken source', { part: 'p' }));
    const err = await rejection(put);
    expect(err.code).toBe('part_corrupt');
    expect(readdirSync(path.dirname(file))).toEqual([]);
  });

  it('a source failing midway: writePart rejects with its error, no file or partial file', async () => {
    const dir = path.join(root, 'dir-source');
    await failingSource(createTarget({ kind: 'directory', dir }));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an aborted write: rejects with the abort, no file or partial file', async () => {
    const dir = path.join(root, 'dir-abort');
    const target = createTarget({ kind: 'directory', dir });
    const abort = new AbortController();
    const source = new PassThrough();
    const written = writePart(
      { target, key: randomBytes(32), backupId: 'aborted', compressionLevel: 3, signal: abort.signal },
      { name: '001-t', file: '001-t.bin', kind: 'table' },
      source,
    );
    source.write(randomBytes(2 * MiB));
    const partial = path.join(dir, 'aborted', 'parts', '001-t.bin.partial');
    await until(() => existsSync(partial), 'the partial file');
    abort.abort();
    await expect(written).rejects.toMatchObject({ name: 'AbortError' });
    expect(readdirSync(path.join(dir, 'aborted', 'parts'))).toEqual([]);
  });

  it('a directory that cannot be created: probe and put fail with target_unavailable', async () => {
    const blocker = path.join(root, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const target = createTarget({ kind: 'directory', dir: path.join(blocker, 'backups') });
    const probe = await rejection(target.probe());
    expect(probe.code).toBe('target_unavailable');
    expect(probe.message).toContain(`directory ${path.join(blocker, 'backups')} is not writable`);
    expect((await rejection(target.put('b/manifest.json', Readable.from([Buffer.from('x')])))).code).toBe(
      'target_unavailable',
    );
  });

  describe('a full disk', () => {
    const mountPoint = path.join(root, 'tiny');
    let mounted = false;
    let refused = '';
    beforeAll(() => {
      mkdirSync(mountPoint);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'pipe' });
        mounted = true;
      } catch (e) {
        refused = ((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).trim();
      }
    });
    afterAll(() => {
      if (mounted) execFileSync('umount', [mountPoint]);
    });

    it('ENOSPC while writing a part: disk_full naming the target, no partial file left', async () => {
      if (!requirement(mounted, `cannot mount a 2 MiB tmpfs for the disk-full test (${refused})`)) return;
      const target = createTarget({ kind: 'directory', dir: mountPoint });
      const key = randomBytes(32);
      // A first part that fits stays intact.
      const small = randomBytes(500_000);
      const ok = await writePart(
        { target, key, backupId: 'full-disk', compressionLevel: 3 },
        { name: '001-small', file: '001-small.bin', kind: 'table' },
        Readable.from([small]),
      );
      // Random data does not compress: 3 MiB cannot fit in what is left of 2 MiB.
      const err = await rejection(
        writePart(
          { target, key, backupId: 'full-disk', compressionLevel: 3 },
          { name: '002-big', file: '002-big.bin', kind: 'table' },
          Readable.from([randomBytes(3 * MiB)]),
        ),
      );
      expect(err.code).toBe('disk_full');
      expect(err.part).toBe('full-disk/parts/002-big.bin');
      expect(err.message).toBe(
        `the disk of directory ${mountPoint} is full (ENOSPC) while writing full-disk/parts/002-big.bin`,
      );
      expect(readdirSync(path.join(mountPoint, 'full-disk', 'parts'))).toEqual(['001-small.bin']);
      expect((await collect(await readPart({ target, key, backupId: 'full-disk' }, ok))).equals(small)).toBe(
        true,
      );
      // Space is back once the failed write is gone: the same write of a smaller part succeeds.
      await writePart(
        { target, key, backupId: 'full-disk', compressionLevel: 3 },
        { name: '002-big', file: '002-big.bin', kind: 'table' },
        Readable.from([randomBytes(MiB)]),
      );
    });
  });
});

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (o: {
  port: number;
  address: string;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

describe('S3 target (s3rver)', () => {
  const require = createRequire(import.meta.url);
  // s3rver ships no types; this is the part of its API the test uses.
  const S3rver = require('s3rver') as S3rverClass;
  let server: S3rverInstance;
  let endpoint = '';
  const s3 = (bucket: string, prefix?: string) =>
    createTarget({
      kind: 's3',
      bucket,
      ...(prefix ? { prefix } : {}),
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });

  beforeAll(async () => {
    server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      directory: path.join(root, 's3rver'),
      silent: true,
      configureBuckets: [{ name: 'bul-backups' }, { name: 'bul-other' }],
    });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('put / get / head / list / remove / probe', async () => {
    const target = s3('bul-backups');
    expect(target.kind).toBe('s3');
    expect(target.description).toBe(`s3 bucket bul-backups (endpoint ${endpoint})`);
    await commonOperations(target);
  });

  it('a prefix keeps backups apart from the rest of the bucket', async () => {
    const a = s3('bul-other', 'site-a/');
    const b = s3('bul-other', '/site-b');
    await a.put('x-1/manifest.json', Readable.from([Buffer.from('a')]));
    await b.put('y-1/manifest.json', Readable.from([Buffer.from('b')]));
    expect(await a.list()).toEqual(['x-1']);
    expect(await b.list()).toEqual(['y-1']);
    expect(a.description).toBe(`s3 bucket bul-other prefix site-a/ (endpoint ${endpoint})`);
    await a.removeBackup('x-1');
    expect(await a.list()).toEqual([]);
    expect(await b.list()).toEqual(['y-1']);
  });

  it('a 20 MiB part goes up in 8 MiB multipart pieces and reads back intact', async () => {
    const target = s3('bul-backups') as S3Target;
    const sent: string[] = [];
    // Count the multipart calls the SDK really makes.
    target.client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
    const data = randomBytes(20 * MiB);
    const key = randomBytes(32);
    const part = await writePart(
      { target, key, backupId: 'big', compressionLevel: 1 },
      { name: '001-big', file: '001-big.bin', kind: 'table' },
      Readable.from(
        (function* () {
          for (let i = 0; i < data.length; i += 64 * 1024) yield data.subarray(i, i + 64 * 1024);
        })(),
      ),
    );
    expect(sent.filter((c) => c === 'UploadPartCommand').length).toBe(3);
    expect(sent).toContain('CreateMultipartUploadCommand');
    expect(sent).toContain('CompleteMultipartUploadCommand');
    expect(await target.head('big/parts/001-big.bin')).toEqual({ bytes: part.storedBytes });
    const stored = await collect(await target.get('big/parts/001-big.bin'));
    expect(sha(stored)).toBe(part.sha256);
    const back = await collect(await readPart({ target, key, backupId: 'big' }, part));
    expect(back.equals(data)).toBe(true);
    await target.removeBackup('big');
    expect(await target.head('big/parts/001-big.bin')).toBeNull();
  });

  it('a failing body aborts the upload and leaves no object', async () => {
    const target = s3('bul-backups');
    const body = new PassThrough();
    const put = target.put('broken/parts/p.bin', body);
    body.write(randomBytes(9 * MiB));
    body.destroy(new BackupError('part_corrupt', 'part p: broken source', { part: 'p' }));
    expect((await rejection(put)).code).toBe('part_corrupt');
    expect(await target.head('broken/parts/p.bin')).toBeNull();
  });

  it('a source failing midway: writePart rejects with its error, no object', async () => {
    await failingSource(s3('bul-backups'));
  });

  it('a missing bucket and an unreachable endpoint: target_unavailable', async () => {
    const gone = s3('no-such-bucket');
    const probe = await rejection(gone.probe());
    expect(probe.code).toBe('target_unavailable');
    expect(probe.message).toBe(
      `s3 bucket no-such-bucket (endpoint ${endpoint}) is not available: bucket no-such-bucket does not exist`,
    );
    const put = await rejection(gone.put('b/manifest.json', Readable.from([Buffer.from('{}')])));
    expect(put.code).toBe('target_unavailable');
    expect(put.message).toContain('bucket no-such-bucket does not exist');
    expect((await rejection(gone.list())).code).toBe('target_unavailable');
    expect((await rejection(gone.get('b/manifest.json'))).code).toBe('target_unavailable');

    // A port nothing listens on (one this test held and released).
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    const down = createTarget({
      kind: 's3',
      bucket: 'bul-backups',
      endpoint: `http://127.0.0.1:${closed}`,
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      maxAttempts: 1,
    });
    const unreachable = await rejection(down.probe());
    expect(unreachable.code).toBe('target_unavailable');
    expect(unreachable.message).toContain('ECONNREFUSED');
  });
});
