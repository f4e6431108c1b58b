// Error reports to a Sentry-compatible DSN (SENTRY_DSN), sent as the documented envelope over
// plain fetch: one POST per error to {scheme}://{host}/api/{project}/envelope/ with the DSN's
// public key in X-Sentry-Auth. No SDK: @sentry/node brings its own OpenTelemetry set-up (which
// would fight BUL's), and @sentry/core alone is 8.9 MB in 1,440 files for what this file does.
// What a report holds: the error's type, message (URL credentials masked) and stack, where it
// happened (request id and route pattern, job, event handler, loop), the trace id, release,
// environment, host name. Never a request body, headers, query string or parameters.
// Bounded: REPORTS_PER_MINUTE at most, the same error once per DEDUPE_WINDOW_MS, and nothing
// while the receiver says it is rate limiting (429 + Retry-After, X-Sentry-Rate-Limits).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorContext, ErrorReporter } from './telemetry.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Reports in flight at most; past that, new ones are dropped (an error storm must not pile up). */
const MAX_IN_FLIGHT = 20;

export interface Dsn {
  endpoint: string;
  publicKey: string;
}

/** `https://KEY@host[:port][/path]/PROJECT` → the envelope endpoint and the key. */
export function parseDsn(dsn: string): Dsn {
  const url = new URL(dsn);
  const project = url.pathname.split('/').filter(Boolean).pop();
  if (!url.username || !project) throw new Error('SENTRY_DSN must look like https://KEY@host/PROJECT');
  const prefix = url.pathname.slice(0, url.pathname.lastIndexOf(`/${project}`));
  return {
    endpoint: `${url.protocol}//${url.host}${prefix}/api/${project}/envelope/`,
    publicKey: decodeURIComponent(url.username),
  };
}

/** Credentials in URLs (`scheme://user:password@`) never leave in a report. */
export function scrub(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]*(:[^/\s@]*)?@/gi, '$1[redacted]@');
}

interface Frame {
  function?: string;
  filename?: string;
  lineno?: number;
  colno?: number;
  in_app?: boolean;
}

/** V8 stack lines → Sentry frames, oldest call first (as Sentry wants them). */
export function framesOf(stack: string | undefined): Frame[] {
  const frames: Frame[] = [];
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const m = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!m) continue;
    let file = m[2]!.startsWith('file://') ? fileURLToPath(m[2]!) : m[2]!;
    const inApp = file.startsWith(ROOT) && !file.includes('node_modules');
    if (file.startsWith(ROOT)) file = path.relative(ROOT, file);
    frames.push({
      function: m[1] ?? '<anonymous>',
      filename: file,
      lineno: Number(m[3]),
      colno: Number(m[4]),
      in_app: inApp,
    });
  }
  return frames.reverse();
}

function exceptionsOf(err: unknown) {
  const out: { type: string; value: string; stacktrace?: { frames: Frame[] } }[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 3 && current !== undefined && current !== null; depth++) {
    const e = current instanceof Error ? current : new Error(String(current));
    const code = (e as { code?: unknown }).code;
    out.push({
      type: typeof code === 'string' ? `${e.name} (${code})` : e.name,
      value: scrub(e.message).slice(0, 2000),
      stacktrace: { frames: framesOf(e.stack) },
    });
    current = (e as { cause?: unknown }).cause;
  }
  return out.reverse(); // Sentry lists the innermost cause first, the error itself last
}

/** The Sentry event for an error (exported for the tests' reading of what is sent). */
export function sentryEvent(
  err: unknown,
  ctx: ErrorContext & { traceId?: string; spanId?: string },
  o: { release: string; environment: string },
) {
  const tags: Record<string, string> = { source: ctx.source };
  for (const [k, v] of Object.entries(ctx.tags ?? {})) if (v !== undefined) tags[k] = scrub(String(v));
  return {
    event_id: randomUUID().replaceAll('-', ''),
    timestamp: Date.now() / 1000,
    platform: 'node',
    level: 'error',
    logger: 'bul',
    server_name: os.hostname(),
    release: o.release,
    environment: o.environment,
    tags,
    exception: { values: exceptionsOf(err) },
    contexts: {
      runtime: { name: 'node', version: process.version },
      ...(ctx.traceId ? { trace: { trace_id: ctx.traceId, span_id: ctx.spanId } } : {}),
    },
  };
}

/** Reports sent per minute at most (a token bucket: bursts up to this, refilled evenly). */
export const REPORTS_PER_MINUTE = 30;
/** The same error (type, message, route/job/handler) is reported once per this window. */
export const DEDUPE_WINDOW_MS = 5 * 60_000;
/** How long to stop after a 429 that says nothing of when to come back. */
const DEFAULT_BACKOFF_MS = 60_000;

/**
 * When sending may resume after a response, from `X-Sentry-Rate-Limits` (`60:error;default:org,
 * 2700::organization`: the limits on the categories an error event counts under, or on all) or,
 * for a 429, `Retry-After` (seconds or an HTTP date). Undefined: no limit given.
 */
export function retryAt(res: { status: number; headers: Headers }, now: number): number | undefined {
  const limits = res.headers.get('x-sentry-rate-limits');
  if (limits) {
    let until: number | undefined;
    for (const limit of limits.split(',')) {
      const [seconds, categories = ''] = limit.trim().split(':');
      const cats = categories.split(';').filter(Boolean);
      const s = Number(seconds);
      if (!Number.isFinite(s) || s <= 0) continue;
      if (cats.length > 0 && !cats.includes('error') && !cats.includes('default')) continue;
      until = Math.max(until ?? 0, now + s * 1000);
    }
    if (until !== undefined) return until;
  }
  if (res.status !== 429) return undefined;
  const after = res.headers.get('retry-after');
  if (after && /^\d+$/.test(after.trim())) return now + Number(after.trim()) * 1000;
  const date = after ? Date.parse(after) : Number.NaN;
  return Number.isFinite(date) && date > now ? date : now + DEFAULT_BACKOFF_MS;
}

export function createErrorReporter(o: {
  dsn: string;
  environment: string;
  release: string;
  warn: (message: string) => void;
  /** The clock (tests move it); Date.now by default. */
  now?: () => number;
}): ErrorReporter {
  const dsn = parseDsn(o.dsn);
  const now = o.now ?? Date.now;
  const auth = `Sentry sentry_version=7, sentry_key=${dsn.publicKey}, sentry_client=bul/${o.release}`;
  const inFlight = new Set<Promise<void>>();
  /** Whether the current outage was logged: once per outage, cleared by a report that gets through. */
  let warned = false;
  let tokens = REPORTS_PER_MINUTE;
  let refilledAt = now();
  /** Until when the receiver asked not to be sent anything (429, X-Sentry-Rate-Limits). */
  let pausedUntil = 0;
  /** Error key → when it was last sent. */
  const lastSent = new Map<string, number>();

  const warnOnce = (message: string) => {
    if (!warned) o.warn(message); // once per outage: the log has each error itself
    warned = true;
  };
  const admit = (err: unknown, ctx: ErrorContext): boolean => {
    const t = now();
    if (t < pausedUntil) return false;
    const e = err instanceof Error ? err : new Error(String(err));
    const tags = ctx.tags ?? {};
    const key = [
      ctx.source,
      e.name,
      (e as { code?: unknown }).code,
      e.message,
      tags.route,
      tags.method,
      tags.job,
      tags.handler,
    ].join('\u0000');
    const last = lastSent.get(key);
    if (last !== undefined && t - last < DEDUPE_WINDOW_MS) return false;
    tokens = Math.min(REPORTS_PER_MINUTE, tokens + ((t - refilledAt) * REPORTS_PER_MINUTE) / 60_000);
    refilledAt = t;
    if (tokens < 1) return false;
    tokens -= 1;
    if (lastSent.size >= 1000) {
      for (const [k, at] of lastSent) if (t - at >= DEDUPE_WINDOW_MS) lastSent.delete(k);
      if (lastSent.size >= 1000) lastSent.clear();
    }
    lastSent.set(key, t);
    return true;
  };

  return {
    report(err, ctx) {
      if (inFlight.size >= MAX_IN_FLIGHT || !admit(err, ctx)) return;
      const event = sentryEvent(err, ctx, o);
      const body = [
        JSON.stringify({ event_id: event.event_id, sent_at: new Date().toISOString() }),
        JSON.stringify({ type: 'event', content_type: 'application/json' }),
        JSON.stringify(event),
      ].join('\n');
      const sent: Promise<void> = fetch(dsn.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-sentry-envelope', 'x-sentry-auth': auth },
        body,
        signal: AbortSignal.timeout(10_000),
      })
        .then(async (res) => {
          await res.body?.cancel();
          const until = retryAt(res, now());
          if (until !== undefined && until > pausedUntil) {
            pausedUntil = until;
            warnOnce(
              `error reports paused until ${new Date(until).toISOString()}: the receiver asked (HTTP ${res.status})`,
            );
          }
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          warned = false; // through again: the next outage is logged too
        })
        .catch((e: Error) => warnOnce(`error report not sent: ${e.message}`))
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    },
    async flush() {
      await Promise.allSettled([...inFlight]);
    },
  };
}
