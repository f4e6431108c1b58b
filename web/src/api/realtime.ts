// The tab's live connection to /ws: it keeps the data cache current by invalidating what each
// domain event changed (invalidation.ts), so no screen has to poll. One connection per signed-in
// tab and organization (app/RealtimeProvider.tsx starts and stops it); the session cookie
// authenticates it. When the socket drops it reconnects with backoff, resuming after the last
// event it received, so nothing committed meanwhile is missed.
import type { QueryClient, QueryKey } from '@tanstack/query-core';
import { keysForEvent } from './invalidation.ts';
import {
  BACKOFF_CAP_ATTEMPT,
  closeNeedsSessionCheck,
  parseServerMessage,
  type RealtimeEvent,
  realtimeUrl,
  reconnectDelay,
} from './realtimeProtocol.ts';

/**
 * `connecting`: the first attempt; `connected`: the server said ready; `reconnecting`: the socket
 * dropped and another attempt is pending (what a screen may want to mention); `closed`: stopped
 * (signed out, or another organization).
 */
export type RealtimeState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface RealtimeOptions {
  queryClient: QueryClient;
  onEvent: (event: RealtimeEvent) => void;
  onState: (state: RealtimeState) => void;
  /** The server closed with 4401/4403: the session should be checked again (it may have ended). */
  onRefused: () => void;
}

/** How long the server may stay silent after our ping before the socket counts as dead. */
const PONG_TIMEOUT_MS = 10_000;
/**
 * Events arriving within this window make their queries stale together: a replay or a bulk import
 * brings hundreds at once, and one refetch per screen serves them all (one per event would cancel
 * and restart the screen's requests hundreds of times).
 */
const INVALIDATE_WINDOW_MS = 100;

export class RealtimeConnection {
  private socket: WebSocket | null = null;
  private lastEventId: string | null = null;
  private attempt = 0;
  private stopped = true;
  private everReady = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatMs: number | null = null;
  private staleKeys = new Map<string, QueryKey>();
  private invalidateTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly opts: RealtimeOptions;

  constructor(opts: RealtimeOptions) {
    this.opts = opts;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  /** Closes for good (sign-out, another organization): no reconnection. */
  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    this.clearTimers();
    if (this.invalidateTimer) clearTimeout(this.invalidateTimer);
    this.invalidateTimer = null;
    this.staleKeys.clear();
    closeQuietly(this.detach(), 1000, 'client closing');
    this.opts.onState('closed');
  }

  private connect(): void {
    this.retryTimer = null;
    const resumesFrom = this.lastEventId;
    const socket = new WebSocket(realtimeUrl(window.location, resumesFrom));
    this.socket = socket;
    this.opts.onState(this.everReady ? 'reconnecting' : 'connecting');
    socket.onmessage = (e) => {
      this.heard();
      if (typeof e.data !== 'string') return;
      const msg = parseServerMessage(e.data);
      if (msg.kind === 'event') {
        this.lastEventId = msg.event.id;
        this.invalidateSoon(msg.event);
        this.opts.onEvent(msg.event);
      } else if (msg.kind === 'ready') {
        this.attempt = 0;
        this.heartbeatMs = msg.heartbeatMs;
        this.heard();
        // Without an event to resume after (the first connection, or none came before a drop),
        // nothing committed before the server counted this socket is replayed: data read before
        // now is read again. On the first connection that is what the first screen loaded while
        // the socket was opening (a task created meanwhile would otherwise never show).
        if (!resumesFrom) {
          const readyAt = Date.now();
          void this.opts.queryClient.invalidateQueries(
            { predicate: (q) => q.state.dataUpdatedAt > 0 && q.state.dataUpdatedAt < readyAt },
            { cancelRefetch: false },
          );
        }
        this.everReady = true;
        this.opts.onState('connected');
      } else if (msg.kind === 'reload') {
        // The server could not replay what this tab missed: everything shown is refetched.
        void this.opts.queryClient.invalidateQueries();
      }
    };
    socket.onclose = (e) => {
      if (this.socket !== socket) return;
      this.detach();
      if (this.stopped) return;
      if (closeNeedsSessionCheck(e.code)) {
        // Signed out or another organization: the provider closes this connection. Otherwise
        // (the session still holds), try again, but only after the longest wait.
        this.opts.onRefused();
        this.attempt = Math.max(this.attempt, BACKOFF_CAP_ATTEMPT);
      }
      this.scheduleReconnect();
    };
  }

  /** Marks stale, within INVALIDATE_WINDOW_MS, what the event changed (invalidation.ts says what). */
  private invalidateSoon(event: RealtimeEvent): void {
    for (const key of keysForEvent(event)) this.staleKeys.set(JSON.stringify(key), key);
    if (this.invalidateTimer) return;
    this.invalidateTimer = setTimeout(() => {
      this.invalidateTimer = null;
      const keys = [...this.staleKeys.values()];
      this.staleKeys.clear();
      for (const queryKey of keys) void this.opts.queryClient.invalidateQueries({ queryKey });
    }, INVALIDATE_WINDOW_MS);
  }

  private scheduleReconnect(): void {
    this.clearTimers();
    this.opts.onState(this.everReady ? 'reconnecting' : 'connecting');
    this.retryTimer = setTimeout(() => this.connect(), reconnectDelay(this.attempt++, Math.random()));
  }

  /**
   * Any message shows the socket is alive. The server's own WebSocket pings are invisible to a
   * page, so after `heartbeatMs` of silence we ping and drop the socket if no answer follows: a
   * socket left half-open (sleep, a changed network) would otherwise look connected for minutes.
   */
  private heard(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
    if (!this.heartbeatMs || !this.socket) return;
    this.silenceTimer = setTimeout(() => {
      this.socket?.send(JSON.stringify({ type: 'ping' }));
      this.silenceTimer = setTimeout(() => {
        // No close handshake can finish on a dead link: forget the socket and reconnect now.
        closeQuietly(this.detach(), 4000, 'no answer to ping');
        this.scheduleReconnect();
      }, PONG_TIMEOUT_MS);
    }, this.heartbeatMs);
  }

  /** The browser went back online: a pending attempt need not wait out its backoff. */
  private readonly onOnline = () => {
    if (this.retryTimer && !this.stopped) {
      clearTimeout(this.retryTimer);
      this.connect();
    }
  };

  /** Forgets the current socket (its handlers no longer fire) and returns it to be closed. */
  private detach(): WebSocket | null {
    const socket = this.socket;
    this.socket = null;
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
    if (socket) {
      socket.onmessage = null;
      socket.onclose = null;
    }
    return socket;
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.retryTimer = null;
    this.silenceTimer = null;
  }
}

/**
 * Closes a socket; one still connecting is closed once open, since closing it earlier makes the
 * browser log an error ("closed before the connection is established") for an intended close.
 */
function closeQuietly(socket: WebSocket | null, code: number, reason: string): void {
  if (!socket) return;
  if (socket.readyState === WebSocket.CONNECTING) socket.onopen = () => socket.close(code, reason);
  else socket.close(code, reason);
}
