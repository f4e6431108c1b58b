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
//
// Anyone who can connect to the database may NOTIFY, and anyone on the Redis server may PUBLISH:
// messages carry an HMAC (a key derived from the master key), and a hub ignores any message
// without a valid one. The Redis channel is named after the master key, so two installations
// sharing a Redis server never mix their events.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import type { MasterKey } from '../crypto/master-key.ts';
import { isUuid } from '../db/ids.ts';
import type { DomainEvent } from '../events/catalogue.ts';
import type { EventHandler, EventHandlerContext } from '../events/registry.ts';

const PG_CHANNEL = 'bul_realtime';
/** NOTIFY payloads must stay under 8,000 bytes; a larger event travels as a reference. */
const MAX_INLINE_BYTES = 7000;

/** What travels on the bus: the event, or (too large to carry) where to read it. */
export type BusMessage = { event: DomainEvent } | { ref: { orgId: string; seq: number } };

/** The bus's signing key and, for Redis, the installation's channel. */
export class BusKey {
  readonly redisChannel: string;
  private readonly key: Buffer;
  constructor(masterKey: MasterKey) {
    this.key = masterKey.derive('realtime-bus');
    this.redisChannel = `bul:realtime:${masterKey.id}`;
  }

  sign(text: string): string {
    return `${createHmac('sha256', this.key).update(text).digest('base64url')}.${text}`;
  }

  /** The text of a signed message, or null when the signature is missing or wrong. */
  open(signed: string): string | null {
    const dot = signed.indexOf('.');
    if (dot !== 43) return null; // base64url of 32 bytes
    const text = signed.slice(dot + 1);
    const expected = createHmac('sha256', this.key).update(text).digest();
    const given = Buffer.from(signed.slice(0, dot), 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected) ? text : null;
  }
}

export function encodeBusMessage(event: DomainEvent): string {
  const inline = JSON.stringify({ event });
  return Buffer.byteLength(inline) <= MAX_INLINE_BYTES
    ? inline
    : JSON.stringify({ ref: { orgId: event.orgId, seq: event.seq } });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a message's text; null for anything that is not a well-formed one. */
export function decodeBusMessage(text: string): BusMessage | null {
  try {
    const m = JSON.parse(text) as { event?: unknown; ref?: unknown };
    const e = m.event;
    if (
      isObject(e) &&
      typeof e.id === 'string' &&
      typeof e.type === 'string' &&
      typeof e.orgId === 'string' &&
      isUuid(e.orgId) &&
      Number.isSafeInteger(e.seq) &&
      isObject(e.payload) &&
      isObject(e.actor)
    )
      return { event: e as unknown as DomainEvent };
    const r = m.ref;
    if (isObject(r) && typeof r.orgId === 'string' && isUuid(r.orgId) && Number.isSafeInteger(r.seq))
      return { ref: { orgId: r.orgId, seq: r.seq as number } };
  } catch {
    // not JSON
  }
  return null;
}

/**
 * The event handler that publishes every event to the API processes (registered by workers). A
 * Redis that cannot take the message is logged, not retried: the hubs read what they missed from
 * the outbox when the organization's next event arrives, and realtime must not stall the
 * organization's other events or fill its dead letters.
 */
export function realtimePublisher(redis: Redis | null, key: BusKey, log: Logger): EventHandler {
  const publish = async (events: DomainEvent[], tx: EventHandlerContext['tx']) => {
    const messages = events.map((e) => key.sign(encodeBusMessage(e)));
    if (!redis) {
      // One statement for the batch; notifications go out in the array's order, at commit.
      await tx.query(
        'SELECT pg_notify($1, m) FROM unnest($2::text[]) WITH ORDINALITY AS x (m, n) ORDER BY n',
        [PG_CHANNEL, messages],
      );
      return;
    }
    const pipeline = redis.pipeline();
    for (const m of messages) pipeline.publish(key.redisChannel, m);
    await pipeline.exec().catch((err: unknown) => {
      log.warn({ err, orgId: events[0]?.orgId }, 'realtime publish to redis failed');
    });
  };
  return {
    name: 'realtime',
    events: ['*'],
    handle: (event, ctx) => publish([event], ctx.tx),
    handleBatch: (events, ctx) => publish(events, ctx.tx),
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
  key: BusKey;
  log: Logger;
  onMessage: (m: BusMessage) => void;
  onReconnect: () => void;
  /** A message that is not ours (no valid signature, or not a message). */
  onRejected?: () => void;
}): Promise<BusSubscription> {
  const receive = (signed: string) => {
    const text = o.key.open(signed);
    const m = text === null ? null : decodeBusMessage(text);
    if (m) o.onMessage(m);
    else o.onRejected?.();
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
      if (channel === o.key.redisChannel) receive(text);
    });
    await sub.connect();
    await sub.subscribe(o.key.redisChannel);
    return { close: async () => void (await sub.quit().catch(() => sub.disconnect())) };
  }
  let client: pg.Client | null = null;
  let closed = false;
  const listen = async (again: boolean): Promise<void> => {
    if (closed) return;
    // keepAlive: a connection cut without a FIN (a NAT's idle timeout, a failover) is noticed.
    const c = new pg.Client({
      ...o.pool.options,
      application_name: 'bul-realtime-listen',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
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
      if (closed) {
        await c.end().catch(() => {});
        return;
      }
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
