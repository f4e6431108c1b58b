// One consistent picture of the database for a whole backup: a coordinator transaction exports its
// snapshot and N reader connections import it, so tables read in parallel all see the same
// committed state (pg_dump -j does the same). The coordinator stays open until the readers are done.
import pg from 'pg';

export interface SharedSnapshot {
  snapshotId: string;
  /** pg_current_snapshot() bounds (xid8 as text). */
  xmin: string;
  xmax: string;
  /** The whole snapshot as text (pg_snapshot: xmin:xmax:xip,...). */
  text: string;
  /** pg_database oid of the database read. */
  databaseOid: number;
  coordinator: pg.Client;
  readers: pg.Client[];
  close(): Promise<void>;
}

const BEGIN = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

export async function openSnapshot(
  ownerUrl: string,
  readers: number,
  name = 'bul-backup',
): Promise<SharedSnapshot> {
  const clients: pg.Client[] = [];
  const connect = async () => {
    const c = new pg.Client({ connectionString: ownerUrl, application_name: name });
    c.on('error', () => {}); // a dropped connection fails the query in progress, which reports it
    clients.push(c);
    await c.connect();
    return c;
  };
  const close = async () => {
    await Promise.all(
      clients.map((c) =>
        c
          .query('ROLLBACK')
          .catch(() => {})
          .then(() => c.end().catch(() => {})),
      ),
    );
  };
  try {
    const coordinator = await connect();
    await coordinator.query(BEGIN);
    const { rows } = await coordinator.query<{
      id: string;
      xmin: string;
      xmax: string;
      text: string;
      database_oid: number;
    }>(
      `SELECT pg_export_snapshot() AS id, pg_snapshot_xmin(s)::text AS xmin, pg_snapshot_xmax(s)::text AS xmax,
              s::text AS text, (SELECT oid::int FROM pg_database WHERE datname = current_database()) AS database_oid
       FROM pg_current_snapshot() s`,
    );
    const { id, xmin, xmax, text, database_oid: databaseOid } = rows[0]!;
    const readerClients = await Promise.all(
      Array.from({ length: Math.max(1, readers) }, async () => {
        const c = await connect();
        await c.query(BEGIN);
        await c.query(`SET TRANSACTION SNAPSHOT ${c.escapeLiteral(id)}`);
        return c;
      }),
    );
    return { snapshotId: id, xmin, xmax, text, databaseOid, coordinator, readers: readerClients, close };
  } catch (err) {
    await close();
    throw err;
  }
}
