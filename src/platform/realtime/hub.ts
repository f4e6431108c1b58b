// One per API process: the connections of this process by organization, fed by the bus (bus.ts).
// It hands each organization's events to its connections in `seq` order, once: a duplicate from
// the bus is dropped, a hole (a message lost on the bus, an event too large for a NOTIFY) is read
// back from the outbox before the event after it goes out. Each event is serialised once for all
// the connections that receive it.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { DomainEvent } from '../events/catalogue.ts';
import { eventsAfter, headSeq, publishedSeq } from './backlog.ts';
import type { BusMessage } from './bus.ts';

/** What the hub needs of a connection (connection.ts). */
export interface HubConnection {
  readonly orgId: string;
  readonly userId: string;
  /** Whose connection it is for the per-user cap: the API key's id, else the user's. */
  readonly holder: string;
  /** Offers an event (`frame`: its message, serialised and encoded once); the connection filters and sends. */
  offer(event: DomainEvent, frame: Buffer): void;
  /** The hub could not recover what was missed: the client must reload what it shows. */
  reload(reason: 'too-far-behind'): void;
  /** Something changed about the connection's user (removed, another role): check again now. */
  revalidateSoon(): void;
  /** Pings the client, or drops it when it did not answer the previous ping. */
  heartbeat(): void;
  /** Closes the connection because the server is stopping. */
  shutdown(): void;
}

interface OrgState {
  connections: Set<HubConnection>;
  /** The last seq handed out; null until the first event after the first connection. */
  lastSeq: number | null;
  /** The organization's messages are handled one after another. */
  chain: Promise<void>;
}

/** Events that may change what a connection of the user they are about may see. */
const ABOUT_A_MEMBER = new Set(['member.removed', 'role.changed']);

/** The message a client receives for an event: its id, type and payload, and where it stands. */
export function eventMessage(e: DomainEvent): Buffer {
  const text = JSON.stringify({
    id: e.id,
    type: e.type,
    seq: e.seq,
    occurredAt: e.occurredAt,
    actor: e.actor,
    payload: e.payload,
  });
  // Encoded once for every connection that receives it (ws would encode a string per send).
  return Buffer.from(text);
}

/** What this process's connections did, for /metrics (counted since start). */
export interface RealtimeStats {
  eventsSent: number;
  reloads: number;
  /** Connections closed by the server, by close code. */
  closes: Map<number, number>;
  /** Bus messages ignored for a missing or wrong signature, or a malformed body. */
  rejectedMessages: number;
}

export class RealtimeHub {
  readonly stats: RealtimeStats = { eventsSent: 0, reloads: 0, closes: new Map(), rejectedMessages: 0 };
  private readonly orgs = new Map<string, OrgState>();
  private readonly pool: pg.Pool;
  private readonly log: Logger;
  /** Most events read back to fill one hole; a larger one makes the organization's clients reload. */
  private readonly catchUpLimit: number;

  constructor(o: { pool: pg.Pool; log: Logger; catchUpLimit?: number }) {
    this.pool = o.pool;
    this.log = o.log;
    this.catchUpLimit = o.catchUpLimit ?? 1000;
  }

  private total = 0;
  /** Open connections per holder (the API key, else the user): the per-user cap counts these. */
  private readonly perHolder = new Map<string, number>();

  get connectionCount(): number {
    return this.total;
  }

  connectionsOf(holder: string): number {
    return this.perHolder.get(holder) ?? 0;
  }

  add(c: HubConnection): void {
    this.total++;
    this.perHolder.set(c.holder, this.connectionsOf(c.holder) + 1);
    let s = this.orgs.get(c.orgId);
    if (!s) {
      s = { connections: new Set(), lastSeq: null, chain: Promise.resolve() };
      this.orgs.set(c.orgId, s);
    }
    s.connections.add(c);
  }

  remove(c: HubConnection): void {
    const s = this.orgs.get(c.orgId);
    if (!s?.connections.has(c)) return;
    this.total--;
    const left = this.connectionsOf(c.holder) - 1;
    if (left > 0) this.perHolder.set(c.holder, left);
    else this.perHolder.delete(c.holder);
    s.connections.delete(c);
    if (s.connections.size === 0) this.orgs.delete(c.orgId);
  }

  /** A message from the bus. Organizations without a connection here are ignored. */
  receive(m: BusMessage): void {
    const orgId = 'event' in m ? m.event.orgId : m.ref.orgId;
    const s = this.orgs.get(orgId);
    if (!s) return;
    s.chain = s.chain
      .then(() => this.handle(orgId, s, m))
      .catch((err) => this.log.error({ err, orgId }, 'realtime delivery failed'));
  }

  /**
   * After the bus connection came back: what was published meanwhile is read from the outbox.
   * An organization whose clients had no event yet has no place to read from: they reload.
   */
  catchUp(): void {
    for (const [orgId, s] of this.orgs) {
      if (s.lastSeq === null) {
        for (const c of s.connections) c.reload('too-far-behind');
        continue;
      }
      s.chain = s.chain
        .then(async () => void (await this.fill(orgId, s, null)))
        .catch((err) => this.log.error({ err, orgId }, 'realtime catch-up failed'));
    }
  }

  private async handle(orgId: string, s: OrgState, m: BusMessage): Promise<void> {
    const seq = 'event' in m ? m.event.seq : m.ref.seq;
    if (s.lastSeq !== null && seq <= s.lastSeq) return; // delivered already (a redelivery)
    if (s.lastSeq !== null && seq > s.lastSeq + 1) {
      if (!(await this.fill(orgId, s, seq - 1))) {
        s.lastSeq = seq; // the clients reload, which covers this event too
        return;
      }
    }
    if ('event' in m) this.deliver(s, m.event);
    else {
      const [event] = await eventsAfter(this.pool, orgId, seq - 1, 1, seq);
      if (event) this.deliver(s, event);
    }
  }

  /**
   * Reads and delivers the organization's events after the last one handed out (up to `upto`).
   * Returns false when there were too many: its connections were told to reload instead.
   */
  private async fill(orgId: string, s: OrgState, upto: number | null): Promise<boolean> {
    const from = s.lastSeq ?? 0;
    const missed = await eventsAfter(this.pool, orgId, from, this.catchUpLimit + 1, upto);
    if (missed.length > this.catchUpLimit) {
      this.log.warn({ orgId, from, upto }, 'realtime fell too far behind; clients told to reload');
      for (const c of s.connections) c.reload('too-far-behind');
      s.lastSeq = upto ?? (await headSeq(this.pool, orgId));
      return false;
    }
    for (const e of missed) this.deliver(s, e);
    return true;
  }

  private deliver(s: OrgState, event: DomainEvent): void {
    s.lastSeq = event.seq;
    const frame = eventMessage(event);
    const about = ABOUT_A_MEMBER.has(event.type) ? event.payload.id : null;
    for (const c of s.connections) {
      c.offer(event, frame);
      if (about && c.userId === about) c.revalidateSoon();
    }
  }

  private heartbeatTimer: NodeJS.Timeout | null = null;

  /**
   * Each `ms`: pings every connection (one sweep for all of them), and compares each
   * organization's last event handed out with how far the publisher got, so a message lost on the
   * bus is recovered even when no later event comes to show the hole.
   */
  startHeartbeat(ms: number): void {
    this.heartbeatTimer = setInterval(() => {
      for (const [orgId, s] of this.orgs) {
        for (const c of [...s.connections]) c.heartbeat();
        s.chain = s.chain
          .then(() => this.checkPublished(orgId, s))
          .catch((err) => this.log.warn({ err, orgId }, 'realtime check against the publisher failed'));
      }
    }, ms);
    this.heartbeatTimer.unref();
  }

  private async checkPublished(orgId: string, s: OrgState): Promise<void> {
    // Until a first event was handed out there is no place to compare from (starting from the
    // publisher's cursor could drop an event committed just before, still on its way).
    if (s.lastSeq === null) return;
    const published = await publishedSeq(this.pool, orgId);
    if (published > s.lastSeq) await this.fill(orgId, s, published);
  }

  /** Closes every connection (server stopping). */
  shutdown(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const s of this.orgs.values()) for (const c of [...s.connections]) c.shutdown();
  }
}
