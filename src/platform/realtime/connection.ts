// One /ws connection: what it may receive (its principal's permissions, re-checked while it is
// open), its subscriptions, a replay when it resumes, and the messages its client may send.
// The protocol is documented in docs/realtime.md.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { isUuid } from '../db/ids.ts';
import { AppError, type FieldError, fieldError } from '../errors.ts';
import type { DomainEvent } from '../events/catalogue.ts';
import { problemBody } from '../http/problem.ts';
import type { Principal } from '../http/request-context.ts';
import type { Locale } from '../i18n/locale.ts';
import { eventsAfter, seqOfEvent } from './backlog.ts';
import {
  EVENT_SUBJECTS,
  knownEventPattern,
  mayRead,
  type Reader,
  type Subscription,
  subscriptionMatches,
} from './filter.ts';
import { eventMessage, type HubConnection, type RealtimeHub } from './hub.ts';
import { REALTIME } from './messages.ts';

/** Close codes (4000-4999 are the application's). */
export const CLOSE = {
  notJson: 4400,
  credentialsEnded: 4401,
  otherOrganization: 4403,
  flood: 4429,
  slowConsumer: 1008,
  stopping: 1001,
} as const;

const MAX_SUBSCRIPTIONS = 50;
/** Events held for a client while it is replayed to or checked again; more make it reload. */
const MAX_HELD = 10_000;
const MAX_EVENT_PATTERNS = 50;
/** Bytes queued for a client that does not read before it is dropped. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export interface ConnectionOptions {
  socket: WebSocket;
  principal: Principal;
  orgId: string;
  locale: Locale;
  requestId: string;
  hub: RealtimeHub;
  pool: pg.Pool;
  log: Logger;
  /** Checks the connection's credentials again; throws an AppError when they no longer hold. */
  revalidate: () => Promise<Principal>;
  revalidateMs: number;
  messagesPerSecond: number;
  resumeLimit: number;
  heartbeatMs: number;
  /** `lastEventId` of a client that reconnects. */
  resumeFrom: string | null;
}

export class RealtimeConnection implements HubConnection {
  readonly orgId: string;
  readonly userId: string;
  readonly holder: string;
  /** Whether the client answered the last ping (the hub's heartbeat sweeps this). */
  alive = true;
  private reader: Reader;
  private readonly subscriptions = new Map<string, Subscription>();
  private nextSubscription = 1;
  /**
   * Live events wait here while the replay of a resuming client is sent, and while the
   * connection's permissions are checked again after its user was removed or got another role
   * (they are then filtered with the new ones). null: sent at once.
   */
  private pending: { event: DomainEvent; frame: Buffer }[] | null = null;
  /** A reload asked for while events were held: sent in their place. */
  private reloadWhenReleased: 'unknown-event' | 'too-far-behind' | null = null;
  /** Each check of the credentials gets a number; only the latest one's answer counts. */
  private checks = 0;
  /** The last seq sent: nothing at or before it is sent again. */
  private sentSeq = 0;
  private tokens: number;
  private tokensAt = Date.now();
  private revalidateTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private readonly o: ConnectionOptions;

  constructor(o: ConnectionOptions) {
    this.o = o;
    this.orgId = o.orgId;
    this.userId = o.principal.userId;
    this.holder = o.principal.apiKeyId ?? o.principal.userId;
    this.reader = o.principal;
    this.tokens = 2 * o.messagesPerSecond;
  }

  async start(): Promise<void> {
    const ws = this.o.socket;
    ws.on('message', (data, isBinary) => this.onMessage(isBinary ? null : data.toString()));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => this.cleanup());
    ws.on('error', () => this.cleanup());
    if (this.o.resumeFrom !== null) this.hold('replay');
    this.o.hub.add(this);
    this.scheduleRevalidation(this.o.revalidateMs);
    let resumed = 0;
    if (this.o.resumeFrom !== null) resumed = await this.replay(this.o.resumeFrom);
    this.send({
      type: 'ready',
      organizationId: this.orgId,
      userId: this.userId,
      heartbeatMs: this.o.heartbeatMs,
      resumed,
    });
  }

  /** Why events are being held (see `pending`); they go out when no reason is left. */
  private readonly holding = new Set<'replay' | 'check'>();

  private hold(reason: 'replay' | 'check'): void {
    this.holding.add(reason);
    this.pending ??= [];
  }

  private unhold(reason: 'replay' | 'check'): void {
    if (!this.holding.delete(reason) || this.holding.size > 0) return;
    const held = this.pending ?? [];
    this.pending = null;
    if (this.reloadWhenReleased) {
      const reason = this.reloadWhenReleased;
      this.reloadWhenReleased = null;
      this.sentSeq = Math.max(this.sentSeq, held.at(-1)?.event.seq ?? 0);
      this.reload(reason);
      return;
    }
    for (const { event, frame } of held) this.send1(event, frame);
  }

  /** Sends what the client missed after its last event (the events arriving meanwhile are held). */
  private async replay(lastEventId: string): Promise<number> {
    let sent = 0;
    try {
      const seq = await seqOfEvent(this.o.pool, this.orgId, lastEventId);
      if (seq === null) this.reload('unknown-event');
      else {
        const missed = await eventsAfter(this.o.pool, this.orgId, seq, this.o.resumeLimit + 1);
        if (missed.length > this.o.resumeLimit) this.reload('too-far-behind');
        else {
          this.sentSeq = seq;
          for (const e of missed) if (this.send1(e, eventMessage(e))) sent++;
        }
      }
    } catch (err) {
      this.o.log.warn({ err }, 'realtime replay failed; the client is told to reload');
      this.reload('unknown-event');
    }
    this.unhold('replay');
    return sent;
  }

  offer(event: DomainEvent, frame: Buffer): void {
    if (this.closed) return;
    if (!this.pending) {
      this.send1(event, frame);
      return;
    }
    if (this.pending.length < MAX_HELD) this.pending.push({ event, frame });
    else this.reloadWhenReleased ??= 'too-far-behind';
  }

  /** Sends an event when it is new to this client, readable by it and under its subscriptions. */
  private send1(event: DomainEvent, frame: Buffer): boolean {
    if (event.seq <= this.sentSeq) return false;
    this.sentSeq = event.seq;
    if (!mayRead(this.reader, event)) return false;
    if (this.subscriptions.size > 0 && !this.subscribed(event)) return false;
    this.sendData(frame);
    this.o.hub.stats.eventsSent++;
    return true;
  }

  private subscribed(event: DomainEvent): boolean {
    for (const s of this.subscriptions.values()) if (subscriptionMatches(s, event)) return true;
    return false;
  }

  reload(reason: 'unknown-event' | 'too-far-behind'): void {
    if (this.pending) this.reloadWhenReleased = reason;
    else {
      this.send({ type: 'reload', reason });
      this.o.hub.stats.reloads++;
    }
  }

  /**
   * The user was removed or got another role: nothing more is sent with the permissions the
   * connection had; events wait until the check answers, then go out filtered by the new ones.
   */
  revalidateSoon(): void {
    this.hold('check');
    if (this.revalidateTimer) clearTimeout(this.revalidateTimer);
    this.revalidateTimer = null;
    void this.revalidate();
  }

  shutdown(): void {
    this.close(CLOSE.stopping, 'server stopping');
  }

  /** The hub's heartbeat: a client that did not answer the last ping is dropped. */
  heartbeat(): void {
    if (!this.alive) {
      this.o.socket.terminate();
      this.cleanup();
      return;
    }
    this.alive = false;
    this.o.socket.ping();
  }

  private scheduleRevalidation(ms: number): void {
    if (this.closed) return;
    if (this.revalidateTimer) clearTimeout(this.revalidateTimer);
    // Jitter, so connections opened together are not checked together.
    const delay = ms === 0 ? 0 : Math.round(ms * (0.8 + Math.random() * 0.4));
    this.revalidateTimer = setTimeout(() => void this.revalidate(), delay);
    this.revalidateTimer.unref();
  }

  private async revalidate(): Promise<void> {
    if (this.closed) return;
    const check = ++this.checks;
    try {
      const p = await this.o.revalidate();
      if (check !== this.checks || this.closed) return; // a later check decides
      if (p.org?.id !== this.orgId) throw new AppError('unauthenticated', REALTIME.credentialsEnded());
      this.reader = p;
    } catch (err) {
      if (check !== this.checks || this.closed) return;
      if (err instanceof AppError) {
        this.pending = null; // nothing held goes to credentials that no longer hold
        this.holding.clear();
        this.sendProblem(new AppError(err.code, REALTIME.credentialsEnded()));
        this.close(CLOSE.credentialsEnded, 'credentials no longer valid');
        return;
      }
      this.o.log.warn({ err }, 'realtime credentials check failed; trying again soon');
      this.scheduleRevalidation(Math.min(this.o.revalidateMs, 5000));
      return;
    }
    this.unhold('check');
    this.scheduleRevalidation(this.o.revalidateMs);
  }

  private onMessage(text: string | null): void {
    if (this.closed) return;
    if (!this.takeToken()) {
      this.sendProblem(
        new AppError('rate-limited', REALTIME.flood({ limit: this.o.messagesPerSecond }), {
          retryAfterSeconds: 1,
        }),
      );
      this.close(CLOSE.flood, 'too many messages');
      return;
    }
    let msg: unknown;
    try {
      msg = text === null ? undefined : JSON.parse(text);
    } catch {
      msg = undefined;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.sendProblem(
        new AppError('validation-failed', REALTIME.notJson(), {
          errors: [fieldError('(message)', 'json', REALTIME.notJson())],
        }),
      );
      this.close(CLOSE.notJson, 'message is not a JSON object');
      return;
    }
    const m = msg as Record<string, unknown>;
    switch (m.type) {
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'subscribe':
        this.subscribe(m);
        return;
      case 'unsubscribe':
        this.unsubscribe(m);
        return;
      default:
        this.refuse([fieldError('type', 'enum', REALTIME.oneOf({ values: 'subscribe, unsubscribe, ping' }))]);
    }
  }

  private subscribe(m: Record<string, unknown>): void {
    const errors: FieldError[] = [];
    const known = new Set(['type', 'id', 'organizationId', 'resource', 'resourceId', 'events']);
    for (const k of Object.keys(m))
      if (!known.has(k)) errors.push(fieldError(k, 'additionalProperties', REALTIME.badMessage()));
    const { id, organizationId, resource, resourceId, events } = m;
    if (organizationId !== undefined && (typeof organizationId !== 'string' || !isUuid(organizationId)))
      errors.push(fieldError('organizationId', 'format', REALTIME.uuid()));
    if (id !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > 64))
      errors.push(fieldError('id', 'maxLength', REALTIME.text({ limit: 64 })));
    if (resource !== undefined && (typeof resource !== 'string' || !EVENT_SUBJECTS.includes(resource)))
      errors.push(fieldError('resource', 'enum', REALTIME.oneOf({ values: EVENT_SUBJECTS.join(', ') })));
    if (resourceId !== undefined) {
      if (typeof resourceId !== 'string' || !isUuid(resourceId))
        errors.push(fieldError('resourceId', 'format', REALTIME.uuid()));
      else if (resource === undefined)
        errors.push(fieldError('resourceId', 'dependentRequired', REALTIME.idNeedsResource()));
    }
    if (
      events !== undefined &&
      (!Array.isArray(events) ||
        events.length === 0 ||
        events.length > MAX_EVENT_PATTERNS ||
        !events.every((e) => typeof e === 'string' && knownEventPattern(e)))
    )
      errors.push(fieldError('events', 'enum', REALTIME.eventList({ limit: MAX_EVENT_PATTERNS })));
    if (errors.length > 0) {
      this.refuse(errors);
      return;
    }
    if (typeof organizationId === 'string' && organizationId.toLowerCase() !== this.orgId) {
      this.sendProblem(new AppError('forbidden', REALTIME.otherOrganization({ org: this.orgId })));
      this.close(CLOSE.otherOrganization, 'subscription to another organization');
      return;
    }
    let subId = typeof id === 'string' ? id : `s${this.nextSubscription++}`;
    while (typeof id !== 'string' && this.subscriptions.has(subId)) subId = `s${this.nextSubscription++}`;
    if (this.subscriptions.has(subId)) {
      this.refuse([fieldError('id', 'unique', REALTIME.duplicateSubscription({ id: subId }))]);
      return;
    }
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      this.sendProblem(
        new AppError('validation-failed', REALTIME.tooManySubscriptions({ limit: MAX_SUBSCRIPTIONS })),
      );
      return;
    }
    this.subscriptions.set(subId, {
      id: subId,
      resource: typeof resource === 'string' ? resource : null,
      resourceId: typeof resourceId === 'string' ? resourceId.toLowerCase() : null,
      events: Array.isArray(events) ? (events as string[]) : null,
    });
    this.send({ type: 'subscribed', subscription: subId });
  }

  private unsubscribe(m: Record<string, unknown>): void {
    const id = m.subscription;
    if (typeof id !== 'string' || !this.subscriptions.has(id)) {
      this.sendProblem(
        new AppError('not-found', REALTIME.noSuchSubscription({ id: String(id) }), {
          errors: [fieldError('subscription', 'exists', REALTIME.noSuchSubscription({ id: String(id) }))],
        }),
      );
      return;
    }
    this.subscriptions.delete(id);
    this.send({ type: 'unsubscribed', subscription: id });
  }

  private refuse(errors: FieldError[]): void {
    this.sendProblem(new AppError('validation-failed', REALTIME.badMessage(), { errors }));
  }

  /** A token bucket: `messagesPerSecond`, bursts of twice that. */
  private takeToken(): boolean {
    const now = Date.now();
    const rate = this.o.messagesPerSecond;
    this.tokens = Math.min(2 * rate, this.tokens + ((now - this.tokensAt) / 1000) * rate);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private sendProblem(err: AppError): void {
    this.send({ type: 'error', problem: problemBody(err, this.o.requestId, this.o.locale) });
  }

  private send(message: Record<string, unknown>): void {
    this.sendData(JSON.stringify(message));
  }

  /** A text frame (a Buffer holds UTF-8 JSON, sent as text). */
  private sendData(data: string | Buffer): void {
    const ws = this.o.socket;
    if (this.closed || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED) {
      this.close(CLOSE.slowConsumer, 'slow consumer');
      return;
    }
    ws.send(data, { binary: false });
  }

  private close(code: number, reason: string): void {
    if (this.closed) return;
    const closes = this.o.hub.stats.closes;
    closes.set(code, (closes.get(code) ?? 0) + 1);
    this.o.socket.close(code, reason);
    this.cleanup();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.revalidateTimer) clearTimeout(this.revalidateTimer);
    this.o.hub.remove(this);
  }
}
