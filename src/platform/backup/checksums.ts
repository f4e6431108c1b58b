// The manifest's per-table checksum, computed from a live database: the same COPY BINARY of the
// same columns through the same parser (binary-rows.ts), so a restored database can be compared
// with the backup table by table. Run it inside one REPEATABLE READ transaction for a consistent
// picture of several tables.

import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { copyOut } from '../db/copy-out.ts';
import { RowHasher, type RowsSummary } from './binary-rows.ts';
import { ident } from './catalog.ts';

/** The COPY statement that reads a table's rows (all, or those matching `where`) in binary. */
export function copyRowsSql(table: string, columns: readonly string[], where?: string): string {
  return `COPY (SELECT ${columns.map(ident).join(', ')} FROM ${ident(table)}${where ? ` WHERE ${where}` : ''}) TO STDOUT (FORMAT binary)`;
}

/** Rows and checksum of one COPY BINARY statement's output (the bytes are dropped). */
export async function summarize(client: pg.ClientBase, copySql: string): Promise<RowsSummary> {
  const hasher = new RowHasher();
  await pipeline(
    copyOut(client, copySql),
    hasher,
    new Writable({
      write(_chunk, _enc, cb) {
        cb();
      },
    }),
  );
  return hasher.summary;
}

export async function tableChecksums(
  client: pg.ClientBase,
  tables: { name: string; columns: string[] }[],
): Promise<Map<string, { rows: number; checksum: string }>> {
  const out = new Map<string, { rows: number; checksum: string }>();
  for (const t of tables) {
    const s = await summarize(client, copyRowsSql(t.name, t.columns));
    out.set(t.name, { rows: s.rows, checksum: s.checksum });
  }
  return out;
}
