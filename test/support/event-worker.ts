// A worker process for test/events.test.ts: runs the event dispatcher with two recording handlers
// on the database EVENT_WORKER_DB until it is stopped (SIGTERM) or killed (SIGKILL, mid-batch).
import pg from 'pg';
import pino from 'pino';
import { EventDispatcher } from '../../src/platform/events/dispatcher.ts';
import { type EventHandler, EventHandlerRegistry } from '../../src/platform/events/registry.ts';

const delay = Number(process.env.EVENT_WORKER_DELAY_MS ?? 0);
const handler = (name: string): EventHandler => ({
  name,
  events: ['*'],
  async handle(event, ctx) {
    await ctx.tx.query(
      'INSERT INTO test_handled (org_id, handler, event_id, type, seq) VALUES ($1, $2, $3, $4, $5)',
      [ctx.orgId, name, event.id, event.type, event.seq],
    );
    if (delay) await new Promise((r) => setTimeout(r, delay));
  },
});

const pool = new pg.Pool({ connectionString: process.env.EVENT_WORKER_DB, max: 6 });
const dispatcher = new EventDispatcher({
  pool,
  registry: new EventHandlerRegistry().register(handler('kill.a'), handler('kill.b')),
  log: pino({ level: 'warn' }),
  maxAttempts: 5,
  retryBaseMs: 10,
  pollMs: 100,
  batchSize: 50,
});
await dispatcher.start();
process.on('SIGTERM', () => {
  void dispatcher.stop().then(() => pool.end());
});
