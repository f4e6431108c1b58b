// Rows of a query, a batch at a time, through a server-side cursor (pg-query-stream): memory stays
// constant however many rows the query returns.
//
//   for await (const row of streamRows<{ id: string }>(tx, 'SELECT id FROM tasks WHERE ...', [a, b])) ...
//
// It needs a client inside a transaction (a cursor lives until COMMIT), not the pool: use the `tx`
// of `db.transaction(scope, tx => ...)`, and finish reading before that callback returns — for an
// export, `await db.transaction(scope, (tx) => sendExport(reply, { ..., rows: streamRows(tx, sql) }))`
// (sendExport resolves once the last row was written). Leaving the loop early (break, throw) closes
// the cursor before the transaction goes on, so the same `tx` can run more queries afterwards.
import type { EventEmitter } from 'node:events';
import type pg from 'pg';
import QueryStream from 'pg-query-stream';

export async function* streamRows<T = Record<string, unknown>>(
  tx: pg.ClientBase,
  sql: string,
  params: readonly unknown[] = [],
  batchSize = 100,
): AsyncGenerator<T, void, undefined> {
  const stream = tx.query(new QueryStream(sql, [...params], { batchSize }));
  try {
    for await (const row of stream) yield row as T;
  } finally {
    if (!stream.closed) {
      // destroy() closes the cursor asynchronously; wait for it so the next query on `tx` is safe.
      const closed = new Promise<void>((resolve) => (stream as EventEmitter).once('close', () => resolve()));
      stream.destroy();
      await closed;
    }
  }
}
