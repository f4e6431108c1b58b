// One HTTP attempt of a signed webhook (outbound webhooks and the notification webhook channel share
// it): POST the signed body, never follow a redirect, keep at most the first RESPONSE_EXCERPT_BYTES
// of the answer (the rest is not read: the connection is closed), give up after the connect and
// total timeouts, and classify what went wrong.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { BlockedAddressError, checkedLookup, hostOf, resolveChecked } from './address-guard.ts';

/** What is kept of an answer's body in the delivery log. */
export const RESPONSE_EXCERPT_BYTES = 64 * 1024;

export type ErrorClass =
  | 'http_status' // answered, but not 2xx
  | 'redirect' // 3xx: not followed
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'dns' // the host does not resolve
  | 'blocked_address' // resolves to a non-public address (SSRF guard)
  | 'tls'
  | 'network';

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  excerpt: string;
  /** The answer was longer than the excerpt; the rest was discarded unread. */
  truncated: boolean;
  errorClass: ErrorClass | null;
  /** The answer's Retry-After header (429, 503), for callers that honour it. */
  retryAfter?: string | null;
}

export interface SignedMessage {
  /** webhook-id: the event id, the same on every attempt. */
  id: string;
  /** webhook-timestamp, in seconds. */
  timestamp: number;
  body: string;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the secret's base64-decoded bytes. */
export function sign(secret: string, m: SignedMessage): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${m.id}.${m.timestamp}.${m.body}`).digest('base64');
  return `v1,${mac}`;
}

function classify(err: NodeJS.ErrnoException): ErrorClass {
  if (err instanceof BlockedAddressError) return 'blocked_address';
  const code = err.code ?? '';
  if (code === 'ETIMEDOUT' || code === 'ECONNTIMEOUT' || code === 'ABORT_ERR') return 'timeout';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection_reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return 'dns';
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) || /SSL|TLS/i.test(err.message)) return 'tls';
  return 'network';
}

export interface SendOptions {
  url: string;
  secret: string;
  message: SignedMessage;
  allowPrivate: boolean;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
}

const agents = new Map<string, http.Agent>();
/** One keep-alive agent per protocol and guard mode (a TCP and TLS handshake per POST cost a third of the sends). */
function agentFor(protocol: string, allowPrivate: boolean): http.Agent {
  const key = `${protocol}${allowPrivate}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = {
      keepAlive: true,
      keepAliveMsecs: 10_000,
      maxSockets: 64,
      maxFreeSockets: 64,
      timeout: 60_000,
    };
    agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    agents.set(key, agent);
  }
  return agent;
}

export async function send(o: SendOptions): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = new URL(o.url);
  const fail = (errorClass: ErrorClass, statusCode: number | null = null): AttemptResult => ({
    ok: false,
    statusCode,
    latencyMs: elapsed(),
    excerpt: '',
    truncated: false,
    errorClass,
  });
  // An IP literal never reaches the lookup hook, so it is checked here; names are checked in the
  // lookup, on the very addresses the socket then connects to.
  const host = hostOf(url);
  if (isIP(host)) {
    try {
      await resolveChecked(host, o.allowPrivate);
    } catch (err) {
      return fail(classify(err as NodeJS.ErrnoException));
    }
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(totalTimer);
      clearTimeout(connectTimer);
      resolve(r);
    };
    const req = transport.request(url, {
      method: 'POST',
      // Kept-alive connections: a new one goes through the guarded lookup below, and a socket
      // is only ever reused for the host it was opened to, so a reused one was checked too.
      agent: agentFor(url.protocol, o.allowPrivate),
      lookup: checkedLookup(o.allowPrivate),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'BUL-Webhooks/1',
        'webhook-id': o.message.id,
        'webhook-timestamp': String(o.message.timestamp),
        'webhook-signature': sign(o.secret, o.message),
        'content-length': Buffer.byteLength(o.message.body),
      },
    });
    const timedOut = () => {
      req.destroy();
      finish(fail('timeout'));
    };
    const totalTimer = setTimeout(timedOut, o.totalTimeoutMs);
    const connectTimer = setTimeout(timedOut, Math.min(o.connectTimeoutMs, o.totalTimeoutMs));
    req.on('socket', (socket) => {
      const connected = () => clearTimeout(connectTimer);
      if (!socket.connecting) connected();
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
    });
    req.on('error', (err) => finish(fail(classify(err))));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      const done = () => {
        const ok = status >= 200 && status < 300;
        finish({
          ok,
          statusCode: status,
          latencyMs: elapsed(),
          excerpt: Buffer.concat(chunks).toString('utf8'),
          truncated,
          errorClass: ok ? null : status >= 300 && status < 400 ? 'redirect' : 'http_status',
          retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null,
        });
      };
      res.on('data', (chunk: Buffer) => {
        const room = RESPONSE_EXCERPT_BYTES - kept;
        if (chunk.length > room) {
          if (room > 0) chunks.push(chunk.subarray(0, room));
          kept = RESPONSE_EXCERPT_BYTES;
          truncated = true;
          // Enough: close the connection rather than read (or buffer) the rest.
          done();
          res.destroy();
          req.destroy();
          return;
        }
        chunks.push(chunk);
        kept += chunk.length;
      });
      res.on('end', done);
      res.on('error', (err) => finish(fail(classify(err), status)));
      res.on('aborted', () => finish(fail('connection_reset', status)));
    });
    req.end(o.message.body);
  });
}
