// A signed broadcast channel between the processes of one installation: PostgreSQL LISTEN/NOTIFY,
// or Redis pub/sub when REDIS_URL is set. The realtime fan-out (bus.ts) and the cache's
// invalidations (platform/cache) each use one, under their own name.
//
// Anyone who can connect to the database may NOTIFY, and anyone on the Redis server may PUBLISH:
// messages carry an HMAC (a key derived from the master key and the channel's name), and a
// listener ignores any message without a valid one. The Redis channel is named after the master
// key, so two installations sharing a Redis server never mix their messages.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import type { MasterKey } from '../crypto/master-key.ts';

/** A channel's signing key and its names on PostgreSQL and Redis. */
export class ChannelKey {
  readonly redisChannel: string;
  readonly pgChannel: string;
  private readonly key: Buffer;
  constructor(masterKey: MasterKey, name: 'realtime' | 'cache') {
    this.key = masterKey.derive(`${name}-bus`);
    this.redisChannel = `bul:${name}:${masterKey.id}`;
    this.pgChannel = `bul_${name}`;
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

/**
 * Publishes one message now (not inside a transaction: NOTIFY through the pool commits at once).
 * Callers that need the message to go out exactly at their commit NOTIFY in their own transaction.
 */
export async function publishOnChannel(
  o: { pool: pg.Pool; redis: Redis | null; key: ChannelKey },
  text: string,
): Promise<void> {
  const signed = o.key.sign(text);
  if (o.redis) await o.redis.publish(o.key.redisChannel, signed);
  else await o.pool.query('SELECT pg_notify($1, $2)', [o.key.pgChannel, signed]);
}

export interface ChannelSubscription {
  close(): Promise<void>;
}

/**
 * Listens to a channel, calling `onMessage` with the text of each validly signed message and
 * `onReconnect` after a lost connection came back (what was published meanwhile is gone).
 */
export async function subscribeToChannel(o: {
  pool: pg.Pool;
  redis: Redis | null;
  key: ChannelKey;
  log: Logger;
  onMessage: (text: string) => void;
  onReconnect: () => void;
  /** A message without a valid signature. */
  onRejected?: () => void;
}): Promise<ChannelSubscription> {
  const receive = (signed: string) => {
    const text = o.key.open(signed);
    if (text === null) o.onRejected?.();
    else o.onMessage(text);
  };
  const what = o.key.pgChannel;
  if (o.redis) {
    // A subscribed Redis connection can do nothing else: a connection of its own.
    const sub = o.redis.duplicate({ lazyConnect: true, enableOfflineQueue: true });
    let connectedOnce = false;
    sub.on('error', (err) => o.log.warn({ err, channel: what }, 'redis subscription problem'));
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
      application_name: `${what.replace(/_/g, '-')}-listen`,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    c.on('notification', (n) => {
      if (n.channel === o.key.pgChannel && n.payload) receive(n.payload);
    });
    c.on('error', (err) => {
      o.log.warn({ err, channel: what }, 'notification connection lost; reconnecting');
      client = null;
      c.end().catch(() => {});
      setTimeout(() => void listen(true), 1000).unref();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${o.key.pgChannel}`);
      if (closed) {
        await c.end().catch(() => {});
        return;
      }
      client = c;
      if (again) o.onReconnect();
    } catch (err) {
      c.end().catch(() => {});
      if (!again) throw err;
      o.log.warn({ err, channel: what }, 'cannot listen for notifications; retrying');
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
