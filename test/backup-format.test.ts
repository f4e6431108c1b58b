// Backup format (src/platform/backup): parts of 0 B, 1 B, exactly one segment and 3.5 segments
// round trip through zstd + authenticated segments + a directory target; every way a part or a
// manifest can be wrong is detected with its code, naming the part and the byte offset; the three
// key sources (passphrase via scrypt, key file and master key via HKDF) open only their own backups.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { BackupError, type BackupErrorCode } from '../src/platform/backup/errors.ts';
import { deriveBackupKey, type KeySource, keyCheck, newKdfParams } from '../src/platform/backup/keys.ts';
import {
  type BackupManifest,
  canonicalJson,
  MANIFEST_FORMAT,
  type ManifestPart,
  openManifest,
  readManifestUnverified,
  signManifest,
} from '../src/platform/backup/manifest.ts';
import { readPart, verifyPart, writePart } from '../src/platform/backup/part-codec.ts';
import {
  decryptSegments,
  encryptSegments,
  SEGMENT_HEADER,
  SEGMENT_OVERHEAD,
  SEGMENT_SIZE,
} from '../src/platform/backup/segments.ts';
import { createTarget } from '../src/platform/backup/targets/index.ts';
import { loadManifest, verifyBackupFiles, writeManifest } from '../src/platform/backup/verify.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'bul-backup-format-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const target = createTarget({ kind: 'directory', dir: root });
const INSTALLATION = 'install-a';
const MiB = 1024 * 1024;
/** Stored size of one full segment: header excluded. */
const FULL_SEGMENT = SEGMENT_OVERHEAD + SEGMENT_SIZE;

const fileOf = (backupId: string, file: string) => path.join(root, backupId, 'parts', file);

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Reads a part, returning the plaintext released before the error (and the error). */
async function readUntilError(
  backupId: string,
  key: Buffer,
  part: ManifestPart,
): Promise<{ released: number; error: unknown }> {
  let released = 0;
  try {
    const stream = await readPart({ target, key, backupId }, part);
    for await (const c of stream) released += (c as Buffer).length;
  } catch (error) {
    return { released, error };
  }
  return { released, error: null };
}

function expectBackupError(e: unknown, code: BackupErrorCode): BackupError {
  expect(e).toBeInstanceOf(BackupError);
  const err = e as BackupError;
  expect({ code: err.code, message: err.message }).toMatchObject({ code });
  return err;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

function baseManifest(
  id: string,
  key: Buffer,
  source: KeySource,
  parts: ManifestPart[],
): Omit<BackupManifest, 'mac'> {
  return {
    format: MANIFEST_FORMAT,
    id,
    type: 'full',
    installationId: INSTALLATION,
    bulVersion: '0.1.0',
    schemaVersion: '0024_backups',
    parentId: null,
    baseFullId: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:01.000Z',
    durationMs: 1000,
    snapshot: { xmin: '1000', xmax: '1005' },
    since: null,
    kdf: newKdfParams(source),
    keyCheck: keyCheck(key),
    compression: { alg: 'zstd', level: 3 },
    tables: parts.map((p) => ({
      name: p.table ?? p.name,
      columns: ['id', 'name'],
      rows: 10,
      checksum: 'abc',
      stateRows: 10,
      stateChecksum: 'abc',
      part: p.name,
    })),
    sequences: [{ name: 'tasks_number_seq', value: '42', isCalled: true }],
    parts,
    files: { count: 0, bytes: 0 },
    totals: {
      rows: 10 * parts.length,
      plainBytes: parts.reduce((s, p) => s + p.plainBytes, 0),
      storedBytes: parts.reduce((s, p) => s + p.storedBytes, 0),
    },
  };
}

/** A signed backup written to the target: key derived from `source` with a fresh KDF. */
async function writeBackup(
  id: string,
  source: KeySource,
  contents: Record<string, Buffer>,
): Promise<{ manifest: BackupManifest; key: Buffer }> {
  const kdf = newKdfParams(source);
  const key = await deriveBackupKey(source, kdf);
  const parts: ManifestPart[] = [];
  for (const [name, data] of Object.entries(contents)) {
    parts.push(
      await writePart(
        { target, key, backupId: id, compressionLevel: 3 },
        { name, file: `${name}.bin`, kind: 'table', table: name.replace(/^\d+-/, '') },
        Readable.from([data]),
      ),
    );
  }
  const manifest = signManifest({ ...baseManifest(id, key, source, parts), kdf }, key);
  await writeManifest(target, manifest);
  return { manifest, key };
}

const passphrase: KeySource = { kind: 'passphrase', passphrase: 'correct horse battery staple' };
const keyFile: KeySource = { kind: 'key-file', key: randomBytes(48) };
const masterKey: KeySource = { kind: 'master-key', key: randomBytes(32) };

describe('parts round trip', () => {
  const key = randomBytes(32);
  const sizes: [string, number][] = [
    ['empty', 0],
    ['one byte', 1],
    ['exactly one segment', MiB],
    ['3.5 segments', 3.5 * MiB],
  ];
  for (const [label, size] of sizes) {
    it(`${label} (${size} B), random and compressible`, async () => {
      for (const kind of ['random', 'text'] as const) {
        const data =
          kind === 'random'
            ? randomBytes(size)
            : Buffer.from('row,42,"some text",2025-01-01\n'.repeat(Math.ceil(size / 30) + 1)).subarray(
                0,
                size,
              );
        const name = `rt-${size}-${kind}`;
        let lastProgress = -1;
        const part = await writePart(
          { target, key, backupId: 'roundtrip', compressionLevel: 3 },
          { name, file: `${name}.bin`, kind: 'table', table: 'tasks' },
          // Uneven chunks: segment boundaries never line up with the source's.
          Readable.from(chunkify(data, 100_003)),
          (n) => {
            lastProgress = n;
          },
        );
        const stored = readFileSync(fileOf('roundtrip', part.file));
        expect(part).toMatchObject({
          name,
          kind: 'table',
          table: 'tasks',
          plainBytes: size,
          storedBytes: stored.length,
        });
        expect(part.sha256).toBe(createHash('sha256').update(stored).digest('hex'));
        expect(stored.subarray(0, SEGMENT_HEADER.length).toString('latin1')).toBe('BULSEG1\n');
        if (size > 0) expect(lastProgress).toBe(size);
        if (kind === 'text' && size >= MiB) expect(part.storedBytes).toBeLessThan(size / 10);
        const back = await collect(await readPart({ target, key, backupId: 'roundtrip' }, part));
        expect(back.length).toBe(size);
        expect(back.equals(data)).toBe(true);
        expect(await verifyPart({ target, key, backupId: 'roundtrip' }, part)).toBe(size);
      }
    });
  }

  it('the segments stream alone: exact framing, empty input still has a final segment', async () => {
    const aad = { backupId: 'b', part: 'p' };
    const sealed = await collect(
      Readable.from([randomBytes(SEGMENT_SIZE * 2)]).pipe(encryptSegments(key, aad)),
    );
    expect(sealed.length).toBe(SEGMENT_HEADER.length + 2 * FULL_SEGMENT);
    const empty = await collect(Readable.from([Buffer.alloc(0)]).pipe(encryptSegments(key, aad)));
    expect(empty.length).toBe(SEGMENT_HEADER.length + SEGMENT_OVERHEAD);
    // Only the header: the final segment is missing.
    const header = new PassThrough();
    header.end(SEGMENT_HEADER);
    const err = await rejection(collect(header.pipe(decryptSegments(key, aad))));
    expect(expectBackupError(err, 'part_truncated').message).toContain('part p');
  });
});

function chunkify(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out.length ? out : [Buffer.alloc(0)];
}

describe('damaged parts', () => {
  const key = randomBytes(32);
  const data = randomBytes(3.5 * MiB);
  // Random data does not compress: 4 segments, the first three full.
  const write = (backupId: string, name = '007-tasks') =>
    writePart(
      { target, key, backupId, compressionLevel: 3 },
      { name, file: `${name}.bin`, kind: 'table', table: 'tasks' },
      Readable.from(chunkify(data, 64 * 1024)),
    );
  const secondSegment = SEGMENT_HEADER.length + FULL_SEGMENT;

  it('a flipped byte in a segment: part_corrupt naming the part and the segment offset; nothing of it released', async () => {
    const part = await write('flip');
    const file = fileOf('flip', part.file);
    const bytes = readFileSync(file);
    bytes[secondSegment + 1000] = (bytes[secondSegment + 1000] ?? 0) ^ 0x01;
    writeFileSync(file, bytes);
    const { released, error } = await readUntilError('flip', key, part);
    const err = expectBackupError(error, 'part_corrupt');
    expect(err.part).toBe('007-tasks');
    expect(err.offset).toBe(secondSegment);
    expect(err.message).toBe(
      `part 007-tasks: segment 1 at byte offset ${secondSegment} failed authentication (altered, corrupt, reordered or from another backup)`,
    );
    // Only the first segment's plaintext came out (random data: slightly less than a segment).
    expect(released).toBeLessThanOrEqual(SEGMENT_SIZE);
  });

  it('a flipped byte in the last segment and in a length field are found too', async () => {
    const part = await write('flip-last');
    const file = fileOf('flip-last', part.file);
    const original = readFileSync(file);
    const lastSegment = SEGMENT_HEADER.length + 3 * FULL_SEGMENT;
    const tail = Buffer.from(original);
    tail[tail.length - 1] = (tail[tail.length - 1] ?? 0) ^ 0x80;
    writeFileSync(file, tail);
    const last = expectBackupError((await readUntilError('flip-last', key, part)).error, 'part_corrupt');
    expect(last.offset).toBe(lastSegment);
    const length = Buffer.from(original);
    length[secondSegment] = 0xff;
    writeFileSync(file, length);
    const len = expectBackupError((await readUntilError('flip-last', key, part)).error, 'part_corrupt');
    expect(len.offset).toBe(secondSegment);
    expect(len.message).toContain('more than a segment holds');
  });

  it('a truncated part: part_truncated, at a segment boundary and inside a segment', async () => {
    const part = await write('cut');
    const file = fileOf('cut', part.file);
    const original = readFileSync(file);
    const boundary = SEGMENT_HEADER.length + 3 * FULL_SEGMENT;
    writeFileSync(file, original.subarray(0, boundary));
    const atBoundary = expectBackupError((await readUntilError('cut', key, part)).error, 'part_truncated');
    expect(atBoundary.part).toBe('007-tasks');
    expect(atBoundary.offset).toBe(SEGMENT_HEADER.length + 2 * FULL_SEGMENT);
    expect(atBoundary.message).toContain('is not the final one: the part is truncated');
    writeFileSync(file, original.subarray(0, boundary - 5000));
    const inside = expectBackupError((await readUntilError('cut', key, part)).error, 'part_truncated');
    expect(inside.offset).toBe(SEGMENT_HEADER.length + 2 * FULL_SEGMENT);
    expect(inside.message).toContain('is cut short');
    writeFileSync(file, Buffer.alloc(0));
    expectBackupError((await readUntilError('cut', key, part)).error, 'part_truncated');
  });

  it('data appended after the final segment: part_corrupt', async () => {
    const part = await write('appended');
    const file = fileOf('appended', part.file);
    const original = readFileSync(file);
    const lastSegment = original.subarray(SEGMENT_HEADER.length + 3 * FULL_SEGMENT);
    writeFileSync(file, Buffer.concat([original, lastSegment]));
    const err = expectBackupError((await readUntilError('appended', key, part)).error, 'part_corrupt');
    expect(err.message).toContain('after the final segment');
  });

  it('swapped segments: part_corrupt at the first moved segment', async () => {
    const part = await write('swap');
    const file = fileOf('swap', part.file);
    const b = readFileSync(file);
    const s1 = b.subarray(secondSegment, secondSegment + FULL_SEGMENT);
    const s2 = b.subarray(secondSegment + FULL_SEGMENT, secondSegment + 2 * FULL_SEGMENT);
    const swapped = Buffer.concat([
      b.subarray(0, secondSegment),
      s2,
      s1,
      b.subarray(secondSegment + 2 * FULL_SEGMENT),
    ]);
    expect(swapped.length).toBe(b.length);
    writeFileSync(file, swapped);
    // The manifest's SHA-256 is updated too: the segments themselves must catch the reordering.
    const patched = { ...part, sha256: createHash('sha256').update(swapped).digest('hex') };
    const err = expectBackupError((await readUntilError('swap', key, patched)).error, 'part_corrupt');
    expect(err.offset).toBe(secondSegment);
  });

  it('a part moved from another backup (same key, same part name): part_corrupt at its first segment', async () => {
    const ours = await write('home');
    const theirs = await write('elsewhere');
    const foreign = readFileSync(fileOf('elsewhere', theirs.file));
    writeFileSync(fileOf('home', ours.file), foreign);
    const patched = { ...ours, sha256: theirs.sha256, storedBytes: theirs.storedBytes };
    const err = expectBackupError((await readUntilError('home', key, patched)).error, 'part_corrupt');
    expect(err.offset).toBe(SEGMENT_HEADER.length);
    expect(err.message).toContain('from another backup');
    // The same file read as its own backup is fine.
    expect((await readUntilError('elsewhere', key, theirs)).error).toBeNull();
  });

  it('a missing part: part_missing naming it', async () => {
    const part = await write('gone');
    unlinkSync(fileOf('gone', part.file));
    const err = expectBackupError(
      await rejection(readPart({ target, key, backupId: 'gone' }, part)),
      'part_missing',
    );
    expect(err.part).toBe('gone/parts/007-tasks.bin');
    expect(err.message).toContain('gone/parts/007-tasks.bin');
  });

  it('the wrong key for a part: part_corrupt', async () => {
    const part = await write('other-key');
    const { error } = await readUntilError('other-key', randomBytes(32), part);
    expectBackupError(error, 'part_corrupt');
  });
});

describe('manifests and keys', () => {
  it('a passphrase backup: scrypt recorded, opens with the passphrase, verify reads every byte', async () => {
    const { manifest, key } = await writeBackup('pass-ok', passphrase, {
      '001-users': randomBytes(1500),
      '002-tasks': randomBytes(2 * MiB + 7),
    });
    expect(manifest.kdf).toMatchObject({ alg: 'scrypt', N: 2 ** 15, r: 8, p: 1 });
    const opened = await loadManifest(target, 'pass-ok', passphrase, { installationId: INSTALLATION });
    expect(opened.key.equals(key)).toBe(true);
    expect(opened.manifest).toEqual(manifest);
    const report = await verifyBackupFiles(target, 'pass-ok', passphrase, { installationId: INSTALLATION });
    expect(report).toEqual({
      ok: true,
      parts: manifest.parts.map((p) => ({ name: p.name, ok: true, storedBytes: p.storedBytes })),
      bytesRead: manifest.totals.storedBytes,
    });
  });

  it('a wrong passphrase: wrong_key', async () => {
    await writeBackup('pass-wrong', passphrase, { '001-users': randomBytes(10) });
    const err = expectBackupError(
      await rejection(
        loadManifest(target, 'pass-wrong', {
          kind: 'passphrase',
          passphrase: 'Correct horse battery staple',
        }),
      ),
      'wrong_key',
    );
    expect(err.message).toBe('the key does not open backup pass-wrong (wrong passphrase)');
    await expect(
      verifyBackupFiles(
        target,
        'pass-wrong',
        { kind: 'passphrase', passphrase: 'nope' },
        { installationId: INSTALLATION },
      ),
    ).rejects.toMatchObject({ code: 'wrong_key' });
  });

  it('key file and master key: HKDF recorded, each opens only its own backups', async () => {
    const kf = await writeBackup('key-file', keyFile, { '001-users': randomBytes(100) });
    const mk = await writeBackup('master-key', masterKey, { '001-users': randomBytes(100) });
    expect(kf.manifest.kdf).toMatchObject({ alg: 'hkdf-sha256', source: 'key-file' });
    expect(mk.manifest.kdf).toMatchObject({ alg: 'hkdf-sha256', source: 'master-key' });
    expect((await loadManifest(target, 'key-file', keyFile)).key.equals(kf.key)).toBe(true);
    expect((await loadManifest(target, 'master-key', masterKey)).key.equals(mk.key)).toBe(true);
    // Another key file of the right kind: wrong_key.
    expectBackupError(
      await rejection(loadManifest(target, 'key-file', { kind: 'key-file', key: randomBytes(48) })),
      'wrong_key',
    );
    // The right bytes as the wrong kind of source: wrong_key naming both kinds.
    const kinds = expectBackupError(
      await rejection(loadManifest(target, 'key-file', { kind: 'master-key', key: keyFile.key })),
      'wrong_key',
    );
    expect(kinds.message).toBe('the backup was encrypted with a key file but the master key was given');
    const pass = expectBackupError(await rejection(loadManifest(target, 'pass-ok', keyFile)), 'wrong_key');
    expect(pass.message).toBe('the backup was encrypted with a passphrase but a key file was given');
    // Each salt is fresh: the same source gives another key for another backup.
    expect(kf.key.equals(await deriveBackupKey(keyFile, newKdfParams(keyFile)))).toBe(false);
    // Too little key material is refused before deriving anything.
    expectBackupError(
      await rejection(loadManifest(target, 'key-file', { kind: 'key-file', key: randomBytes(16) })),
      'no_key',
    );
  });

  it('an edited manifest: manifest_tampered; the canonical form ignores key order and spacing', async () => {
    const { manifest } = await writeBackup('edited', keyFile, { '001-users': randomBytes(100) });
    const file = path.join(root, 'edited', 'manifest.json');
    const stored = readFileSync(file, 'utf8');
    expect(stored).toBe(`${canonicalJson(manifest)}\n`);
    // Re-serialized with other key order and indentation: still authentic.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(manifest).reverse()), null, 2);
    await expect(openManifest(reordered, keyFile)).resolves.toMatchObject({ manifest: { id: 'edited' } });
    const edited = JSON.parse(stored) as BackupManifest;
    edited.tables[0]!.rows = 11;
    writeFileSync(file, JSON.stringify(edited));
    const err = expectBackupError(
      await rejection(loadManifest(target, 'edited', keyFile)),
      'manifest_tampered',
    );
    expect(err.message).toBe(
      'the manifest of backup edited was altered after it was written (its MAC does not match)',
    );
    // A key check copied from another backup does not help: the MAC is under the real key.
    const other = await writeBackup('edited-2', keyFile, { '001-users': randomBytes(100) });
    const forged = { ...manifest, kdf: other.manifest.kdf, keyCheck: other.manifest.keyCheck };
    writeFileSync(file, JSON.stringify(forged));
    expectBackupError(await rejection(loadManifest(target, 'edited', keyFile)), 'manifest_tampered');
    // A manifest stored under another backup's id.
    writeFileSync(file, readFileSync(path.join(root, 'edited-2', 'manifest.json')));
    expectBackupError(await rejection(loadManifest(target, 'edited', keyFile)), 'manifest_invalid');
  });

  it('another installation: foreign_installation naming both', async () => {
    await writeBackup('foreign', masterKey, { '001-users': randomBytes(10) });
    const err = expectBackupError(
      await rejection(verifyBackupFiles(target, 'foreign', masterKey, { installationId: 'install-b' })),
      'foreign_installation',
    );
    expect(err.message).toBe(
      'backup foreign belongs to installation install-a, not to this installation (install-b)',
    );
  });

  it('scrypt parameters beyond 1 GiB of memory in a manifest are refused before deriving', async () => {
    const kdf = { alg: 'scrypt' as const, salt: randomBytes(32).toString('base64'), N: 2 ** 20, r: 16, p: 1 };
    const err = expectBackupError(await rejection(deriveBackupKey(passphrase, kdf)), 'manifest_invalid');
    expect(err.message).toContain('N=1048576, r=16, p=1');
  });

  it('not a manifest: manifest_invalid', async () => {
    expectBackupError(await rejection(openManifest('{"nope"', masterKey)), 'manifest_invalid');
    expectBackupError(await rejection(openManifest('{"hello":"world"}', masterKey)), 'manifest_invalid');
    const { manifest } = await writeBackup('format-2', masterKey, { '001-users': randomBytes(10) });
    const err = expectBackupError(
      await rejection(openManifest(JSON.stringify({ ...manifest, format: 2 }), masterKey)),
      'manifest_invalid',
    );
    expect(err.message).toContain('format version 2 is unknown');
    expect(() =>
      readManifestUnverified(
        JSON.stringify({ ...manifest, parts: [{ ...manifest.parts[0], file: '../x' }] }),
      ),
    ).toThrow(/part 001-users names a file outside the backup/);
    expect(readManifestUnverified(JSON.stringify(manifest))).toEqual(manifest);
  });

  it('verify reports each damaged or missing part with its code and offset, and the intact ones', async () => {
    const { manifest } = await writeBackup('verify-bad', masterKey, {
      '001-users': randomBytes(100),
      '002-tasks': randomBytes(2.5 * MiB),
      '003-notes': randomBytes(100),
    });
    const tasks = fileOf('verify-bad', '002-tasks.bin');
    const bytes = readFileSync(tasks);
    const second = SEGMENT_HEADER.length + FULL_SEGMENT;
    bytes[second + 20] = (bytes[second + 20] ?? 0) ^ 0xff;
    writeFileSync(tasks, bytes);
    unlinkSync(fileOf('verify-bad', '003-notes.bin'));
    const report = await verifyBackupFiles(target, 'verify-bad', masterKey, { installationId: INSTALLATION });
    expect(report.ok).toBe(false);
    expect(report.parts.map((p) => [p.name, p.ok, p.code, p.offset])).toEqual([
      ['001-users', true, undefined, undefined],
      ['002-tasks', false, 'part_corrupt', second],
      ['003-notes', false, 'part_missing', undefined],
    ]);
    expect(report.parts[1]?.error).toContain(`part 002-tasks: segment 1 at byte offset ${second}`);
    expect(report.bytesRead).toBe(manifest.parts[0]?.storedBytes);
  });
});
