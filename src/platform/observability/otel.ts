// The OpenTelemetry SDK of a `bul start` process: traces over OTLP/HTTP (JSON) for incoming HTTP
// requests, PostgreSQL queries, outgoing HTTP and fetch calls, jobs and event handlers. Only
// loaded (by a dynamic import in bin/bul.js) when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, before any module it instruments is imported:
// nothing of OpenTelemetry is in memory otherwise. docs/tracing.md says what is traced.
//
// The standard variables read: OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT,
// _COMPRESSION (by the exporter), OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the resource),
// OTEL_TRACES_SAMPLER(_ARG) and OTEL_BSP_* (here: the trace SDK no longer reads them itself).
import {
  type AttributeValue,
  type Context,
  context,
  createContextKey,
  defaultTextMapGetter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type Span as SdkSpan,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import pkg from '../../../package.json' with { type: 'json' };
import type { Tracing } from './telemetry.ts';

/** Requests not traced: probes and scrapes, which would outnumber everything else. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

/** `scheme://[user:password@]host[:port]/path?query` in a text: everything after the host goes. */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)(?:[^/\s?#@"'<>]*@)?([^/\s?#"'<>]+)[^\s"'<>]*/gi;
/** Attributes holding a request's raw target: its path or query may be the secret. */
const RAW_TARGET_KEYS = ['url.path', 'url.query', 'http.target', 'url.template'];
/** Attributes holding a whole URL: reduced to scheme://host:port. */
const URL_KEYS = ['url.full', 'http.url'];
/** SQL statements keep their text (their values are `$n` placeholders, never URLs). */
const VERBATIM_KEYS = new Set(['db.query.text', 'db.statement']);

/** A text with every URL reduced to its scheme, host and port (no credentials, path or query). */
export function withoutUrlPaths(text: string): string {
  return text.replace(URL_IN_TEXT, '$1$2');
}

function scrubAttributes(attributes: Record<string, AttributeValue | undefined>): void {
  for (const key of RAW_TARGET_KEYS) delete attributes[key];
  for (const [key, value] of Object.entries(attributes)) {
    if (VERBATIM_KEYS.has(key)) continue;
    if (typeof value === 'string') attributes[key] = withoutUrlPaths(value);
    else if (Array.isArray(value))
      attributes[key] = value.map((v) => (typeof v === 'string' ? withoutUrlPaths(v) : v)) as AttributeValue;
  }
  for (const key of URL_KEYS) {
    const value = attributes[key];
    if (typeof value === 'string') attributes[key] = value.replace(/\/+$/, '');
  }
}

/**
 * Rewrites every span as it ends, before any exporter sees it: the path and query of an outgoing
 * call can be its credential (Slack, Teams and Discord webhook URLs, a customer's endpoint with
 * `?token=`), and an incoming request's raw target can carry one (`?token=` of an unsubscribe
 * link, WhatsApp's `hub.verify_token`). Outgoing calls keep scheme://host:port and the method;
 * incoming requests keep the route pattern (`http.route`, set by nameRequest) and no raw target.
 * Also links an incoming request's span to the caller's `traceparent` when it is not trusted.
 */
class ScrubbingProcessor implements SpanProcessor {
  onStart(span: SdkSpan, parent: Context): void {
    if (span.kind !== SpanKind.SERVER) return;
    const untrusted = parent.getValue(UNTRUSTED_PARENT) as SpanContext | undefined;
    if (untrusted)
      span.addLink({ context: untrusted, attributes: { 'bul.link': 'caller traceparent (untrusted)' } });
  }
  onEnding(span: SdkSpan): void {
    scrubAttributes(span.attributes as Record<string, AttributeValue | undefined>);
    for (const event of span.events)
      if (event.attributes) scrubAttributes(event.attributes as Record<string, AttributeValue | undefined>);
    span.updateName(withoutUrlPaths(span.name)); // still allowed: onEnding runs before the span is ended
    if (span.status.message) span.status.message = withoutUrlPaths(span.status.message);
  }
  onEnd(): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

const UNTRUSTED_PARENT = createContextKey('bul untrusted caller traceparent');
const w3c = new W3CTraceContextPropagator();

/**
 * The global propagator: injects W3C trace context (and baggage) into outgoing calls; extracts it
 * from incoming requests only when TRUST_INCOMING_TRACEPARENT is on. Off (the default), a
 * client on the internet cannot choose the trace id BUL logs and returns, nor force sampling: the
 * request starts a trace of its own, linked to the caller's (kept aside under UNTRUSTED_PARENT).
 */
class IncomingPropagator implements TextMapPropagator {
  private readonly inner: TextMapPropagator;
  private readonly trust: boolean;
  constructor(inner: TextMapPropagator, trust: boolean) {
    this.inner = inner;
    this.trust = trust;
  }
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    this.inner.inject(ctx, carrier, setter);
  }
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    if (this.trust) return this.inner.extract(ctx, carrier, getter);
    const caller = trace.getSpanContext(w3c.extract(ROOT_CONTEXT, carrier, getter));
    return caller ? ctx.setValue(UNTRUSTED_PARENT, caller) : ctx;
  }
  fields(): string[] {
    return this.inner.fields();
  }
}

/** TRUST_INCOMING_TRACEPARENT, read as src/config.ts reads a bool (it validates the value). */
export const trustsIncomingTraceparent = (env: NodeJS.ProcessEnv) =>
  /^(true|1|yes|on)$/i.test((env.TRUST_INCOMING_TRACEPARENT ?? '').trim());

/** OTEL_TRACES_SAMPLER as the specification defines it (default: parentbased_always_on). */
export function samplerFrom(env: NodeJS.ProcessEnv): Sampler {
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
  const ratioSampler = new TraceIdRatioBasedSampler(Number.isFinite(ratio) ? ratio : 1);
  switch (env.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratioSampler;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratioSampler });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

const intFrom = (text: string | undefined, fallback: number) => {
  const n = Number(text);
  return text && Number.isInteger(n) && n >= 0 ? n : fallback;
};

/**
 * Starts tracing for this process and returns what the rest of BUL calls (through telemetry.ts).
 * Must run before fastify and pg are imported: the instrumentations patch them as they load.
 * No ESM loader hook is needed (checked on Node 24): pg and fastify are CommonJS, and Node loads
 * a CommonJS package that an ES module imports through the require hooks the instrumentations
 * set; fetch and undici are observed through diagnostics_channel.
 */
export function startTracing(env: NodeJS.ProcessEnv): Tracing {
  const version = pkg.version;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new IncomingPropagator(
      new CompositePropagator({ propagators: [w3c, new W3CBaggagePropagator()] }),
      trustsIncomingTraceparent(env),
    ),
  );
  const resource = resourceFromAttributes({
    'service.name': 'bul',
    'service.version': version,
  }).merge(detectResources({ detectors: [envDetector] }));
  const exporter = new OTLPTraceExporter();
  const provider = new TracerProvider({
    resource,
    sampler: samplerFrom(env),
    spanProcessors: [
      new ScrubbingProcessor(), // first: the batch processor must only ever hold scrubbed spans
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: intFrom(env.OTEL_BSP_SCHEDULE_DELAY, 5000),
        maxQueueSize: intFrom(env.OTEL_BSP_MAX_QUEUE_SIZE, 2048),
        maxExportBatchSize: intFrom(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512),
        exportTimeoutMillis: intFrom(env.OTEL_BSP_EXPORT_TIMEOUT, 30_000),
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?', 1)[0]!),
        // Outgoing node:http calls (S3 through the AWS SDK, SMTP is not HTTP) only inside a trace.
        requireParentforOutgoingSpans: true,
      }),
      // Query text only (parameters are $n placeholders); never the values, never root spans for
      // the background loops' polling.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      // fetch() and the undici package: webhooks, notification providers.
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });

  const tracer = provider.getTracer('bul', version);
  const traceparentOf = (span: Span | undefined) => {
    const carrier: Record<string, string> = {};
    if (span) propagation.inject(trace.setSpan(context.active(), span), carrier);
    return carrier.traceparent;
  };
  return {
    traceId() {
      const sc = trace.getActiveSpan()?.spanContext();
      return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
    },
    traceparent: () => traceparentOf(trace.getActiveSpan()),
    nameRequest(method, route, requestId) {
      const span = trace.getActiveSpan();
      if (!span) return;
      if (route) {
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('bul.request_id', requestId);
    },
    inSpan(name, attributes, fn, traceparent) {
      // A job payload's traceparent is BUL's own (written when the job was queued): always trusted.
      const parent = traceparent
        ? w3c.extract(context.active(), { traceparent }, defaultTextMapGetter)
        : context.active();
      return tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
        try {
          return await fn();
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
          throw err;
        } finally {
          span.end();
        }
      });
    },
    async shutdown() {
      await provider.shutdown();
    },
  };
}
