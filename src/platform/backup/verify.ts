// Reading a backup back without a database: the manifest (key check, MAC, installation), then every
// byte of every part (size, SHA-256, every segment tag, the zstd frames). Part failures are reported
// per part; a manifest that does not open throws.
import { Readable } from 'node:stream';
import { BackupError } from './errors.ts';
import type { KeySource } from './keys.ts';
import { type BackupManifest, canonicalJson, openManifest } from './manifest.ts';
import { verifyPart } from './part-codec.ts';
import { type BackupTarget, checkBackupId, manifestKey } from './targets/target.ts';

export interface VerifyFilesReport {
  ok: boolean;
  parts: { name: string; ok: boolean; storedBytes: number; error?: string; code?: string; offset?: number }[];
  bytesRead: number;
}

export async function writeManifest(target: BackupTarget, m: BackupManifest): Promise<void> {
  const body = Buffer.from(`${canonicalJson(m)}\n`);
  await target.put(manifestKey(m.id), Readable.from([body]), { contentLength: body.length });
}

export async function loadManifest(
  target: BackupTarget,
  backupId: string,
  source: KeySource,
  expect?: { installationId?: string },
): Promise<{ manifest: BackupManifest; key: Buffer }> {
  checkBackupId(backupId);
  const stream = await target.get(manifestKey(backupId));
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const opened = await openManifest(Buffer.concat(chunks), source, expect);
  if (opened.manifest.id !== backupId) {
    throw new BackupError(
      'manifest_invalid',
      `the manifest stored under ${backupId} describes backup ${opened.manifest.id}`,
      { backupId },
    );
  }
  return opened;
}

export async function verifyBackupFiles(
  target: BackupTarget,
  backupId: string,
  source: KeySource,
  expect: { installationId: string },
): Promise<VerifyFilesReport> {
  const { manifest, key } = await loadManifest(target, backupId, source, expect);
  const report: VerifyFilesReport = { ok: true, parts: [], bytesRead: 0 };
  for (const part of manifest.parts) {
    try {
      await verifyPart({ target, key, backupId }, part);
      report.parts.push({ name: part.name, ok: true, storedBytes: part.storedBytes });
      report.bytesRead += part.storedBytes;
    } catch (e) {
      report.ok = false;
      const err = e instanceof BackupError ? e : null;
      report.parts.push({
        name: part.name,
        ok: false,
        storedBytes: part.storedBytes,
        error: (e as Error).message,
        ...(err ? { code: err.code } : {}),
        ...(err?.offset !== undefined ? { offset: err.offset } : {}),
      });
    }
  }
  return report;
}
