// A real WebSocket client (the `ws` package) for /ws tests: connects, keeps every message, waits
// for one that matches, and reports a refused upgrade (its HTTP status and problem) or the close.
import WebSocket from 'ws';

export interface WsMessage {
  type: string;
  id?: string;
  seq?: number;
  payload?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface WsClient {
  ws: WebSocket;
  messages: WsMessage[];
  /** Domain events received (messages whose type has a dot). */
  events(): WsMessage[];
  /** Waits for a message (already received or still to come) that matches. */
  next(match: (m: WsMessage) => boolean, what: string, timeoutMs?: number): Promise<WsMessage>;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  send(value: unknown): void;
  close(): Promise<void>;
}

export class UpgradeRefused extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string) {
    super(`upgrade refused: ${status} ${body}`);
    this.status = status;
    this.body = body;
  }
}

/** Opens `url` (ws://…/ws) with the given headers; waits for the server's `ready` message. */
export function connectWs(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const messages: WsMessage[] = [];
    const waiters = new Set<() => void>();
    const wake = () => {
      for (const w of [...waiters]) w();
    };
    let closeInfo: { code: number; reason: string } | null = null;
    const closed = new Promise<{ code: number; reason: string }>((res) => {
      ws.on('close', (code, reason) => {
        closeInfo = { code, reason: reason.toString() };
        wake();
        res(closeInfo);
      });
    });
    ws.on('message', (data) => {
      messages.push(JSON.parse(data.toString()) as WsMessage);
      wake();
    });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => {
        req.destroy(); // the ws package leaves a refused upgrade's socket to us
        reject(new UpgradeRefused(res.statusCode ?? 0, body));
      });
    });
    ws.on('error', (err) => {
      if (ws.readyState !== WebSocket.OPEN) reject(err);
    });
    const client: WsClient = {
      ws,
      messages,
      events: () => messages.filter((m) => m.type.includes('.')),
      next(match, what, timeoutMs = 20_000) {
        return new Promise((res, rej) => {
          const check = () => {
            const found = messages.find(match);
            if (found) {
              cleanup();
              res(found);
            } else if (closeInfo) {
              cleanup();
              rej(new Error(`connection closed (${closeInfo.code} ${closeInfo.reason}) before ${what}`));
            }
          };
          const timer = setTimeout(() => {
            cleanup();
            rej(new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages)}`));
          }, timeoutMs);
          const cleanup = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      },
      closed,
      send: (value) => ws.send(typeof value === 'string' ? value : JSON.stringify(value)),
      async close() {
        if (ws.readyState === WebSocket.CLOSED) return;
        ws.close();
        await closed;
      },
    };
    ws.on('open', () => {
      client.next((m) => m.type === 'ready', 'ready').then(() => resolve(client), reject);
    });
  });
}
