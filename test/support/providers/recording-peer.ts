// The HTTP server under the provider peers (node:http on a free port of 127.0.0.1): reads each
// request whole, records it, and hands it to the peer's handler. Scripted answers are queued per
// address (phone number, registration token); an empty queue means the provider's normal answer.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface PeerRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  /** The body as UTF-8 text. */
  body: string;
}

/** An answer a test scripts: a status with a JSON (object) or raw (string) body, or no answer at all. */
export type ScriptedAnswer =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { hang: true };

export interface RecordingPeer {
  url: string;
  requests: PeerRequest[];
  close(): Promise<void>;
}

export function answer(res: http.ServerResponse, a: ScriptedAnswer): void {
  if ('hang' in a) return; // the socket is destroyed when the peer closes
  const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  res.writeHead(a.status, {
    'content-type':
      typeof a.body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    ...a.headers,
  });
  res.end(text);
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  answer(res, { status, body });
}

/** Per-address queues of scripted answers. */
export class Script {
  private readonly queues = new Map<string, ScriptedAnswer[]>();
  /** The next answers for `address`, in order; after them the normal answer again. */
  add(address: string, ...answers: ScriptedAnswer[]): void {
    this.queues.set(address, [...(this.queues.get(address) ?? []), ...answers]);
  }
  next(address: string): ScriptedAnswer | undefined {
    return this.queues.get(address)?.shift();
  }
}

export async function startRecordingPeer(
  handle: (req: PeerRequest, res: http.ServerResponse) => void | Promise<void>,
): Promise<RecordingPeer> {
  const sockets = new Set<Socket>();
  const requests: PeerRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://peer');
      const raw = Buffer.concat(chunks);
      const r: PeerRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        raw,
        body: raw.toString('utf8'),
      };
      requests.push(r);
      Promise.resolve(handle(r, res)).catch((err: Error) => {
        res.writeHead(599);
        res.end(`peer error: ${err.message}`);
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
