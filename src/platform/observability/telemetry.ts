// What the rest of BUL knows of tracing and error reports: a few calls that do nothing until
// `bul start` installs the real ones. OpenTelemetry (otel.ts) is imported only when
// OTEL_EXPORTER_OTLP_ENDPOINT is set, the error reporter (error-reports.ts) only when SENTRY_DSN
// is: with neither, no module of theirs is loaded and nothing is sent.

export interface Tracing {
  /** The active span's trace id (32 hex digits), if any. */
  traceId(): string | undefined;
  /** The active span as a W3C `traceparent` header value, if any. */
  traceparent(): string | undefined;
  /** Names the active HTTP server span after the route pattern (`GET /api/v1/tasks/:id`). */
  nameRequest(method: string, route: string | undefined, requestId: string): void;
  /** Runs `fn` in a new span: the child of `traceparent` when given, else of the active span. */
  inSpan<T>(
    name: string,
    attributes: Record<string, string | number | boolean>,
    fn: () => Promise<T>,
    traceparent?: string,
  ): Promise<T>;
  shutdown(): Promise<void>;
}

export interface ErrorContext {
  /** Where it happened: `request`, `job`, `event-handler`, `background`, `process`. */
  source: string;
  /** Searchable tags: request id, route, job name, handler... (never bodies or secrets). */
  tags?: Record<string, string | number | undefined>;
}

export interface ErrorReporter {
  report(err: unknown, ctx: ErrorContext & { traceId?: string; spanId?: string }): void;
  flush(): Promise<void>;
}

let tracing: Tracing | null = null;
let reporter: ErrorReporter | null = null;

/** Whether OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only one) asks for traces. */
export function tracingWanted(env: NodeJS.ProcessEnv): boolean {
  if (String(env.OTEL_SDK_DISABLED).toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry SDK when the environment asks for it. Called by bin/bul.js before
 * src/main.ts (and so fastify, pg, undici) is imported.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (tracing || !tracingWanted(env)) return false;
  try {
    const otel = await import('./otel.ts');
    tracing = otel.startTracing(env);
    return true;
  } catch (err) {
    // BUL runs untraced rather than not at all (a bad endpoint is then reported by loadConfig).
    process.stderr.write(`bul: tracing not started: ${(err as Error).message}\n`);
    return false;
  }
}

/** Starts sending error reports to a Sentry-compatible DSN. */
export async function startErrorReports(o: {
  dsn: string;
  environment: string;
  release: string;
  warn: (message: string) => void;
}): Promise<void> {
  const { createErrorReporter } = await import('./error-reports.ts');
  reporter = createErrorReporter(o);
}

export function tracingActive(): boolean {
  return tracing !== null;
}

export function traceIdNow(): string | undefined {
  return tracing?.traceId();
}

/** `{ traceparent }` for a job payload, so that the job's span joins the trace that queued it. */
export function traceContext(): { traceparent?: string } {
  const traceparent = tracing?.traceparent();
  return traceparent ? { traceparent } : {};
}

export function nameRequestSpan(method: string, route: string | undefined, requestId: string): void {
  tracing?.nameRequest(method, route, requestId);
}

export function inSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: () => Promise<T>,
  traceparent?: string,
): Promise<T> {
  return tracing ? tracing.inSpan(name, attributes, fn, traceparent) : fn();
}

/** Reports an unexpected error (with the active trace id) when SENTRY_DSN is set; never throws. */
export function reportError(err: unknown, ctx: ErrorContext): void {
  if (!reporter) return;
  try {
    const [, traceId, spanId] = tracing?.traceparent()?.split('-') ?? [];
    reporter.report(err, { ...ctx, traceId, spanId });
  } catch {
    // a report must never break what it reports on
  }
}

export function errorReportsActive(): boolean {
  return reporter !== null;
}

/** Sends what is buffered (spans, reports) before the process exits. */
export async function stopTelemetry(): Promise<void> {
  await Promise.allSettled([tracing?.shutdown(), reporter?.flush()]);
}
