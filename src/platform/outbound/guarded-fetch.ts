// fetch for calls to addresses that tenants configure (notification providers' base URLs, chat
// incoming-webhook URLs): the same SSRF guard as webhooks (address-guard.ts), applied inside the
// connection's DNS lookup so the socket connects to the very address that was checked, a timeout
// over the whole call, no redirects followed, and pooled keep-alive connections per guard mode.
import { isIP } from 'node:net';
import { Agent, fetch, type RequestInit, type Response } from 'undici';
import { BlockedAddressError, checkedLookup, hostOf, resolveChecked } from './address-guard.ts';

export interface GuardedFetchOptions {
  /** Loopback and private addresses allowed (WEBHOOK_ALLOW_PRIVATE: tests, closed networks). */
  allowPrivate: boolean;
  /** The whole call, connection to the end of the answer's body. */
  timeoutMs: number;
}

const agents = new Map<boolean, Agent>();
function agentFor(allowPrivate: boolean): Agent {
  let agent = agents.get(allowPrivate);
  if (!agent) {
    agent = new Agent({ connect: { lookup: checkedLookup(allowPrivate) }, keepAliveTimeout: 10_000 });
    agents.set(allowPrivate, agent);
  }
  return agent;
}

/** Why a call got no answer, in the words of the delivery log. */
export type NetworkErrorClass =
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'dns'
  | 'blocked_address'
  | 'tls'
  | 'network';

/** Raised by guardedFetch when no HTTP answer came; `errorClass` says why. */
export class OutboundCallError extends Error {
  readonly errorClass: NetworkErrorClass;
  constructor(errorClass: NetworkErrorClass, message: string) {
    super(message);
    this.name = 'OutboundCallError';
    this.errorClass = errorClass;
  }
}

function classify(err: unknown): OutboundCallError {
  if (err instanceof OutboundCallError) return err;
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  const cause = (e.cause ?? {}) as { code?: string; message?: string; name?: string };
  if (err instanceof BlockedAddressError || cause instanceof BlockedAddressError)
    return new OutboundCallError('blocked_address', (cause as Error).message ?? String(e.message));
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || cause.name === 'TimeoutError')
    return new OutboundCallError('timeout', 'no answer in time');
  const code = cause.code ?? e.code ?? '';
  const message = cause.message ?? e.message ?? 'network error';
  if (code === 'ECONNREFUSED') return new OutboundCallError('connection_refused', message);
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET')
    return new OutboundCallError('connection_reset', message);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA')
    return new OutboundCallError('dns', message);
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  )
    return new OutboundCallError('timeout', message);
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return new OutboundCallError('tls', message);
  return new OutboundCallError('network', message);
}

/** More of an answer than a provider ever sends is not read (a tenant's URL could stream gigabytes). */
export const MAX_BODY_BYTES = 256 * 1024;

async function readCapped(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const bytes = chunk as Uint8Array;
    const room = max - size;
    if (bytes.byteLength >= room) {
      chunks.push(bytes.subarray(0, room));
      await response.body.cancel().catch(() => {});
      break;
    }
    chunks.push(bytes);
    size += bytes.byteLength;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Calls `url` and reads the answer (at most MAX_BODY_BYTES) (providers answer small JSON bodies) within the timeout.
 * Throws OutboundCallError when there is no answer; any HTTP status is an answer.
 */
export async function guardedFetch(
  url: string | URL,
  init: RequestInit,
  o: GuardedFetchOptions,
): Promise<{ response: Response; body: string }> {
  const target = new URL(url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:')
    throw new OutboundCallError('network', `unsupported protocol ${target.protocol}`);
  try {
    // An IP literal never reaches the lookup hook: checked here.
    const host = hostOf(target);
    if (isIP(host)) await resolveChecked(host, o.allowPrivate);
    const response = await fetch(target, {
      ...init,
      redirect: 'manual',
      dispatcher: agentFor(o.allowPrivate),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    return { response, body: await readCapped(response, MAX_BODY_BYTES) };
  } catch (err) {
    throw classify(err);
  }
}
