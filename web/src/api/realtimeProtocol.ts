// The /ws protocol as the web app reads it: the server's messages, the socket's address, and how
// long to wait before reconnecting. Pure functions (no socket, no React), so they are tested
// without a browser (test/web-realtime-protocol.test.ts).
import type { DomainEventMessage } from './invalidation.ts';

/** A domain event as /ws delivers it, with who caused it (for "changed by someone else"). */
export interface RealtimeEvent extends DomainEventMessage {
  seq?: number;
  occurredAt?: string;
  actor?: { type: 'user' | 'api_key' | 'system'; id: string | null };
}

/** What the server sends; anything else (a message of a newer server) reads as `ignored`. */
export type ServerMessage =
  | { kind: 'event'; event: RealtimeEvent }
  | { kind: 'ready'; heartbeatMs: number | null; resumed: number }
  | { kind: 'reload' }
  | { kind: 'ignored' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Reads one text frame. A domain event is told apart by the dot in its type (control messages
 * have none) and must carry its id, since the id is what a reconnection resumes after.
 */
export function parseServerMessage(text: string): ServerMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { kind: 'ignored' };
  }
  if (!isObject(msg) || typeof msg.type !== 'string') return { kind: 'ignored' };
  if (msg.type.includes('.')) {
    if (typeof msg.id !== 'string' || msg.id === '') return { kind: 'ignored' };
    const payload = isObject(msg.payload) ? (msg.payload as RealtimeEvent['payload']) : null;
    const actor = isObject(msg.actor) ? (msg.actor as RealtimeEvent['actor']) : undefined;
    return { kind: 'event', event: { ...(msg as object), id: msg.id, type: msg.type, payload, actor } };
  }
  if (msg.type === 'ready') {
    const heartbeatMs = typeof msg.heartbeatMs === 'number' && msg.heartbeatMs > 0 ? msg.heartbeatMs : null;
    return { kind: 'ready', heartbeatMs, resumed: typeof msg.resumed === 'number' ? msg.resumed : 0 };
  }
  if (msg.type === 'reload') return { kind: 'reload' };
  return { kind: 'ignored' };
}

/** The socket's address on this page's origin (the session cookie goes with it). */
export function realtimeUrl(
  location: { protocol: string; host: string },
  lastEventId: string | null,
): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const resume = lastEventId ? `?lastEventId=${encodeURIComponent(lastEventId)}` : '';
  return `${scheme}://${location.host}/ws${resume}`;
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;

/**
 * How long to wait before reconnection attempt `attempt` (0 for the first): exponential, capped,
 * with "full jitter" (a random point below the ceiling), so the tabs a restarted server dropped do
 * not all come back in the same instant. `random` is in [0, 1).
 */
export function reconnectDelay(attempt: number, random: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  // At least a tenth of the ceiling: a zero wait would retry a refusing server in a tight loop.
  return Math.round(ceiling * (0.1 + 0.9 * random));
}

/** The first attempt whose wait is the longest (BACKOFF_CAP_MS). */
export const BACKOFF_CAP_ATTEMPT = Math.ceil(Math.log2(BACKOFF_CAP_MS / BACKOFF_BASE_MS));

/**
 * Close codes after which reconnecting at once cannot help: the credentials are no longer valid
 * (the session ended, the member was removed) or the organization is not the connection's.
 */
export function closeNeedsSessionCheck(code: number): boolean {
  return code === 4401 || code === 4403;
}
