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
// Messages are signed (channel.ts): a hub ignores any message without a valid signature.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { MasterKey } from '../crypto/master-key.ts';
import { isUuid } from '../db/ids.ts';
import type { DomainEvent } from '../events/catalogue.ts';
import type { EventHandler, EventHandlerContext } from '../events/registry.ts';
import { ChannelKey, subscribeToChannel } from './channel.ts';

/** NOTIFY payloads must stay under 8,000 bytes; a larger event travels as a reference. */
const MAX_INLINE_BYTES = 7000;

/** What travels on the bus: the event, or (too large to carry) where to read it. */
export type BusMessage = { event: DomainEvent } | { ref: { orgId: string; seq: number } };

/** The bus's signing key and channel names (`bul_realtime`, `bul:realtime:<installation>`). */
export class BusKey extends ChannelKey {
  constructor(masterKey: MasterKey) {
    super(masterKey, 'realtime');
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
        [key.pgChannel, messages],
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
export function subscribeToBus(o: {
  pool: pg.Pool;
  redis: Redis | null;
  key: BusKey;
  log: Logger;
  onMessage: (m: BusMessage) => void;
  onReconnect: () => void;
  /** A message that is not ours (no valid signature, or not a message). */
  onRejected?: () => void;
}): Promise<BusSubscription> {
  return subscribeToChannel({
    ...o,
    log: o.log,
    onMessage: (text) => {
      const m = decodeBusMessage(text);
      if (m) o.onMessage(m);
      else o.onRejected?.();
    },
  });
}
