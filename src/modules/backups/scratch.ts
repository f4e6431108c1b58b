// Scratch databases for verifications and drills: created on the scratch server (the owner's by
// default) as bul_verify_<short id> / bul_drill_<short id>, migrated to the current schema, filled
// by restoreIntoEmpty, compared with the manifest's per-table checksums, always dropped.
import pg from 'pg';
import { tableChecksums } from '../../platform/backup/checksums.ts';
import type { BackupManifest } from '../../platform/backup/manifest.ts';
import { restoreIntoEmpty } from '../../platform/backup/restore-empty.ts';
import { migrate } from '../../platform/db/migrator.ts';
import type { BackupEnvironment } from './engine.ts';

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export interface ScratchReport {
  ok: boolean;
  rows: number;
  durationMs: number;
  /** Tables whose rows or checksum differ from the manifest's. */
  mismatches: {
    table: string;
    expected: { rows: number; checksum: string };
    actual: { rows: number; checksum: string } | null;
  }[];
}

/** Restores `chain` into a fresh scratch database and compares every table with the newest manifest. */
export async function scratchRestore(
  env: BackupEnvironment,
  chain: BackupManifest[],
  prefix: 'bul_verify' | 'bul_drill',
): Promise<ScratchReport> {
  const last = chain[chain.length - 1] as BackupManifest;
  const name = `${prefix}_${last.id.replace(/-/g, '').slice(-12)}_${Date.now().toString(36)}`;
  const admin = new pg.Client({
    connectionString: env.scratchServerUrl,
    application_name: 'bul-backup-scratch',
  });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = withDatabase(env.scratchServerUrl, name);
    try {
      await migrate(url, () => {});
      const started = Date.now();
      const { rows } = await restoreIntoEmpty({
        databaseUrl: url,
        target: env.primary,
        keySource: env.keySource,
        installationId: env.installationId,
        chain,
        jobs: env.jobs,
        filesRoot: null,
      });
      const durationMs = Date.now() - started;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const tables = last.tables.filter((t) => t.stateChecksum !== null);
        const actual = await tableChecksums(
          client,
          tables.map((t) => ({ name: t.name, columns: t.columns })),
        );
        const mismatches: ScratchReport['mismatches'] = [];
        for (const t of tables) {
          const a = actual.get(t.name) ?? null;
          const expected = { rows: t.stateRows ?? 0, checksum: t.stateChecksum as string };
          if (!a || a.rows !== expected.rows || a.checksum !== expected.checksum)
            mismatches.push({ table: t.name, expected, actual: a });
        }
        return { ok: mismatches.length === 0, rows, durationMs, mismatches };
      } finally {
        await client.end();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}
