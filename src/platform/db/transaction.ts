// Transactions with tenant context. Every request that touches tenant data runs in one:
// `app.org_id` and `app.user_id` are set with SET LOCAL semantics, so row-level security
// policies see them and they vanish at COMMIT/ROLLBACK, never leaking to the next user of the
// pooled connection.
import type pg from 'pg';
import { isUuid } from './ids.ts';

/** Anything that runs SQL: a pool, a client, or a client inside a transaction. */
export type Sql = Pick<pg.ClientBase, 'query'>;

/** A statement with the name it is prepared under on each connection (one name, one text). */
export interface NamedStatement {
  name: string;
  text: string;
  values: unknown[];
}

export interface TenantScope {
  orgId: string | null;
  userId: string | null;
}

function literal(id: string | null): string {
  if (id === null) return "''";
  // Only canonical UUIDs reach this point, so inlining is safe; it saves a round trip per transaction.
  if (!isUuid(id)) throw new Error('tenant scope ids must be UUIDs');
  return `'${id.toLowerCase()}'`;
}

const afterCommit = new WeakMap<object, ((pool: pg.Pool) => void)[]>();

/**
 * Runs `fn` once the transaction `tx` belongs to has committed through inTransaction (never when
 * it rolls back): for wake-ups that must not be seen before the data (see platform/events/outbox.ts).
 */
export function onCommit(tx: Sql, fn: (pool: pg.Pool) => void): void {
  const list = afterCommit.get(tx);
  if (list) list.push(fn);
  else afterCommit.set(tx, [fn]);
}

/**
 * Hands the callbacks registered on `from` (a handle standing in for the transaction, as the event
 * dispatcher gives each handler run) to the commit of `to`. Call it once `from`'s work has
 * succeeded: callbacks of work that failed (rolled back to a savepoint) are never handed on.
 */
export function moveCommitCallbacks(from: Sql, to: Sql): void {
  const list = afterCommit.get(from);
  if (!list) return;
  afterCommit.delete(from);
  for (const fn of list) onCommit(to, fn);
}

export async function inTransaction<T>(
  pool: pg.Pool,
  scope: TenantScope,
  work: (tx: pg.PoolClient) => Promise<T>,
  o: { snapshot?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  afterCommit.delete(client); // left by a transaction not run here
  let broken = false;
  try {
    await client.query(
      `${o.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN'}; SELECT set_config('app.org_id', ${literal(scope.orgId)}, true), set_config('app.user_id', ${literal(scope.userId)}, true)`,
    );
    const result = await work(client);
    await client.query('COMMIT');
    const callbacks = afterCommit.get(client);
    if (callbacks) {
      afterCommit.delete(client);
      for (const fn of callbacks) fn(pool);
    }
    return result;
  } catch (err) {
    afterCommit.delete(client);
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true; // connection is unusable; let the pool discard it
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The application's handle on the database: the pool of the application role. */
export class Db {
  readonly pool: pg.Pool;
  constructor(pool: pg.Pool) {
    this.pool = pool;
  }
  /** Runs `work` in one transaction acting for the given organization and user. */
  transaction<T>(scope: TenantScope, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, scope, work);
  }
  /**
   * Runs `work` in one read-only transaction whose statements all see the same committed state
   * (REPEATABLE READ): a read in several statements (rows, then their children) cannot show a
   * change committed between two of them half applied.
   */
  snapshot<T>(scope: TenantScope, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, scope, work, { snapshot: true });
  }
}
