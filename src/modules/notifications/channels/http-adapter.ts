// What the HTTP-API adapters share: how a call that got no answer, or an answer that carries no
// error the provider documents, becomes a SendResult (each adapter maps its provider's own error
// codes first and falls back on these), and the constant-time check of callback signatures.
import { timingSafeEqual } from 'node:crypto';
import type { Response } from 'undici';
import { guardedFetch, OutboundCallError } from '../../../platform/outbound/guarded-fetch.ts';
import { type ProbeResult, retryAfterMs, type SendResult } from './provider.ts';

export type FailedOutcome = 'retry' | 'provider_failed' | 'rejected';
export type FailedSend = Extract<SendResult, { outcome: FailedOutcome }>;

/** Milliseconds since `started` (a performance.now() reading). */
export function since(started: number): number {
  return Math.round(performance.now() - started);
}

/** Provider texts go to the delivery log: one line, bounded. */
function shortText(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** The answer's body as JSON, or undefined when it is not JSON (a proxy's HTML page, garbage). */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * No HTTP answer. The SSRF guard refusing the address, or a TLS failure, means the configured
 * base URL cannot be used (provider_failed: an admin fixes it); everything else (timeout, refused,
 * reset, DNS) may pass (retry). Anything but OutboundCallError is a defect and is thrown on.
 */
export function noAnswer(err: unknown, started: number): FailedSend {
  if (!(err instanceof OutboundCallError)) throw err;
  const broken = err.errorClass === 'blocked_address' || err.errorClass === 'tls';
  return {
    outcome: broken ? 'provider_failed' : 'retry',
    errorCode: err.errorClass,
    error: shortText(err.message),
    statusCode: null,
    latencyMs: since(started),
  };
}

/**
 * What an HTTP status means when the provider named no error of its own: a server-side or rate
 * problem passes (retry); no route, no access or a redirect mean the configuration is wrong
 * (provider_failed); any other 4xx refuses this message.
 */
export function outcomeOfStatus(status: number): FailedOutcome {
  if (status >= 500 || status === 429 || status === 408) return 'retry';
  if (status < 400 || status === 401 || status === 403 || status === 404 || status === 405)
    return 'provider_failed';
  return 'rejected';
}

/** A failed send from an HTTP answer; a retry carries the answer's Retry-After. */
export function failed(
  outcome: FailedOutcome,
  response: Response,
  started: number,
  errorCode: string | null,
  error: string,
): FailedSend {
  const result: FailedSend = {
    outcome,
    errorCode,
    error: shortText(error) || `HTTP ${response.status}`,
    statusCode: response.status,
    latencyMs: since(started),
  };
  if (outcome === 'retry') result.retryAfterMs = retryAfterMs(response.headers.get('retry-after'));
  return result;
}

/** Constant-time comparison of two strings (signatures, verify tokens). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether the host of `url` answers HTTP: one HEAD of its root (`scheme://host:port/`, never the
 * path, which may carry a token), through the SSRF guard, within the call's timeout. Any answer
 * below 500 means reachable (a 404 or 405 to a HEAD of an API's root is normal); a 5xx, that the
 * provider is in trouble; no answer, down.
 */
export async function probeHost(
  url: string,
  call: { timeoutMs: number; allowPrivate: boolean },
): Promise<ProbeResult> {
  const started = performance.now();
  let root: URL;
  try {
    root = new URL('/', url);
  } catch {
    return { status: 'down', latencyMs: 0, detail: 'the configured URL is not a URL' };
  }
  try {
    const { response } = await guardedFetch(root, { method: 'HEAD' }, call);
    const latencyMs = since(started);
    const detail = `HTTP ${response.status} from ${root.host}`;
    return { status: response.status >= 500 ? 'degraded' : 'ok', latencyMs, detail };
  } catch (err) {
    if (!(err instanceof OutboundCallError)) throw err;
    return {
      status: 'down',
      latencyMs: since(started),
      detail: `no answer from ${root.host}: ${err.errorClass}`,
    };
  }
}
