// The fan-out of committed domain events to every API process: a worker's dispatcher hands each
// event, in its organization's commit order, to the `realtime` handler, which publishes it; every
// API process subscribes and passes it to its hub (hub.ts), which delivers it to its connections.
//
// Over PostgreSQL: NOTIFY `bul_realtime` inside the handler's transaction, so an event goes out
// exactly when the handler's progress commits (a rolled-back batch publishes nothing). Over Redis
// (REDIS_URL): PUBLISH `bul:realtime` at once; a batch that rolls back and runs again publishes its
// events twice, and the hub drops what it has already delivered (by `seq`). Either way a message
// can be lost (a connection down at that moment): the hub sees the hole in `seq` with the next
// event of that organization and reads what it missed from the outbox.
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import { isUuid } from '../db/ids.ts';
import type { DomainEvent } from '../events/catalogue.ts';
import type { EventHandler } from '../events/registry.ts';

const PG_CHANNEL = 'bul_realtime';
const REDIS_CHANNEL = 'bul:realtime';
/** NOTIFY payloads must stay under 8,000 bytes; a larger event travels as a reference. */
const MAX_INLINE_BYTES = 7000;

/** What travels on the bus: the event, or (too large to carry) where to read it. */
export type BusMessage = { event: DomainEvent } | { ref: { orgId: string; seq: number } };

export function encodeBusMessage(event: DomainEvent): string {
  const inline = JSON.stringify({ event });
  return Buffer.byteLength(inline) <= MAX_INLINE_BYTES
    ? inline
    : JSON.stringify({ ref: { orgId: event.orgId, seq: event.seq } });
}

/** Parses what arrived on the bus; null for anything that is not one of ours (anyone may NOTIFY). */
export function decodeBusMessage(text: string): BusMessage | null {
  try {
    const m = JSON.parse(text) as Partial<{ event: DomainEvent; ref: { orgId: string; seq: number } }>;
    if (m.event && isUuid(m.event.orgId) && Number.isSafeInteger(m.event.seq)) return { event: m.event };
    if (m.ref && isUuid(m.ref.orgId) && Number.isSafeInteger(m.ref.seq)) return { ref: m.ref };
  } catch {
    // not JSON
  }
  return null;
}

/** The event handler that publishes every event to the API processes (registered by workers). */
export function realtimePublisher(redis: Redis | null): EventHandler {
  return {
    name: 'realtime',
    events: ['*'],
    async handle(event, ctx) {
      const message = encodeBusMessage(event);
      if (redis) await redis.publish(REDIS_CHANNEL, message);
      else await ctx.tx.query('SELECT pg_notify($1, $2)', [PG_CHANNEL, message]);
    },
  };
}

export interface BusSubscription {
  close(): Promise<void>;
}

/**
 * Listens to the bus in an API process, calling `onMessage` with each message and `onReconnect`
 * after a lost connection came back (what was published meanwhile is gone: the hub catches up).
 */
export async function subscribeToBus(o: {
  pool: pg.Pool;
  redis: Redis | null;
  log: Logger;
  onMessage: (m: BusMessage) => void;
  onReconnect: () => void;
}): Promise<BusSubscription> {
  const receive = (text: string) => {
    const m = decodeBusMessage(text);
    if (m) o.onMessage(m);
  };
  if (o.redis) {
    // A subscribed Redis connection can do nothing else: a connection of its own.
    const sub = o.redis.duplicate({ lazyConnect: true, enableOfflineQueue: true });
    let connectedOnce = false;
    sub.on('error', (err) => o.log.warn({ err }, 'realtime redis subscription problem'));
    sub.on('ready', () => {
      if (connectedOnce) o.onReconnect();
      connectedOnce = true;
    });
    sub.on('message', (channel: string, text: string) => {
      if (channel === REDIS_CHANNEL) receive(text);
    });
    await sub.connect();
    await sub.subscribe(REDIS_CHANNEL);
    return { close: async () => void (await sub.quit().catch(() => sub.disconnect())) };
  }
  let client: pg.Client | null = null;
  let closed = false;
  const listen = async (again: boolean): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ ...o.pool.options, application_name: 'bul-realtime-listen' });
    c.on('notification', (n) => {
      if (n.channel === PG_CHANNEL && n.payload) receive(n.payload);
    });
    c.on('error', (err) => {
      o.log.warn({ err }, 'realtime notification connection lost; reconnecting');
      client = null;
      c.end().catch(() => {});
      setTimeout(() => void listen(true), 1000).unref();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${PG_CHANNEL}`);
      client = c;
      if (again) o.onReconnect();
    } catch (err) {
      c.end().catch(() => {});
      if (!again) throw err;
      o.log.warn({ err }, 'cannot listen for realtime events; retrying');
      setTimeout(() => void listen(true), 5000).unref();
    }
  };
  await listen(false);
  return {
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}
