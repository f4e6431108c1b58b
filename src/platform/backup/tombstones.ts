// The tombstone log (backup_tombstones, migration 0023) only serves the next incremental or
// differential: each reads the tombstones at or after its parent's snapshot xmin, and every parent
// from now on is at or after the newest successful full. Older tombstones are already inside the
// backups that needed them, so retention deletes them (as the owner: the app role has no grant).
import pg from 'pg';

/** Deletes the tombstones older than `xmin` (a snapshot's xmin, xid8 text); returns how many. */
export async function pruneTombstones(ownerUrl: string, xmin: string): Promise<number> {
  const owner = new pg.Client({ connectionString: ownerUrl, application_name: 'bul-backup-retention' });
  await owner.connect();
  try {
    const { rowCount } = await owner.query('DELETE FROM backup_tombstones WHERE xid < $1::xid8', [xmin]);
    return rowCount ?? 0;
  } finally {
    await owner.end();
  }
}
