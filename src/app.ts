// Builds the HTTP application: platform plugins first (errors, security headers, docs, metrics,
// the request pipeline), then the modules' routes under /api/v1, from the module list. Used by `bul start` and by the
// tests (which call `inject`); only the CLI listens on a port.
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { type Logger, pino } from 'pino';
import pkg from '../package.json' with { type: 'json' };
import type { Config } from './config.ts';
import { WORKER_SOURCE_PREFIX } from './modules/monitoring/sampler.ts';
import { METRIC_NAMES, METRICS } from './modules/monitoring/service.ts';
import { landingRoute } from './modules/system/landing.ts';
import { readinessCheck } from './modules/system/readiness.ts';
import { systemRoutes } from './modules/system/routes.ts';
import { tenantGuard } from './modules/tenancy/request-guard.ts';
import { compileIpRules, type TenancyService } from './modules/tenancy/service.ts';
import { type RunningLoops, startBackground } from './platform/background.ts';
import { registerCacheMetrics } from './platform/cache/metrics.ts';
import type { MasterKey } from './platform/crypto/master-key.ts';
import { AppError, fieldError } from './platform/errors.ts';
import { registerCompression } from './platform/http/compression.ts';
import { registerIdempotency } from './platform/http/idempotency.ts';
import { HTTP } from './platform/http/messages.ts';
import { registerOpenApi } from './platform/http/openapi.ts';
import { registerProblemHandlers, sendProblem } from './platform/http/problem.ts';
import { registerRequestPipeline } from './platform/http/request-pipeline.ts';
import { registerSecurityHeaders } from './platform/http/security-headers.ts';
import { registerUploads } from './platform/http/uploads.ts';
import { registerBodyParsing, validatorCompiler } from './platform/http/validation.ts';
import { registerWebApp, webAppBuilt } from './platform/http/web-app.ts';
import {
  createLogger,
  RequestLog,
  requestIdFrom,
  resolveLogFormat,
} from './platform/observability/logger.ts';
import {
  CLUSTER_GAUGES,
  createMetrics,
  registerClusterGauges,
  registerHttpMetrics,
  registerSampledGauges,
  WORKER_SAMPLE_LOOKBACK_SECONDS,
} from './platform/observability/metrics.ts';
import { nameRequestSpan } from './platform/observability/telemetry.ts';
import { subscribeToBus } from './platform/realtime/bus.ts';
import { RealtimeHub } from './platform/realtime/hub.ts';
import { registerRealtimeMetrics } from './platform/realtime/metrics.ts';
import { registerRealtimeRoute, registerWebSocketSupport } from './platform/realtime/route.ts';
import { type BulComposition, composeBul } from './services.ts';

export const VERSION: string = pkg.version;

export interface AppOptions {
  config: Config;
  pool: pg.Pool;
  masterKey: MasterKey;
  redis: Redis | null;
  role?: string;
  /** The process's logger (default: one made from the configuration), or false to keep tests quiet. */
  logger?: Logger | false;
  /**
   * The process's services, when the caller composed them (`bul start`, which shares them with the
   * worker and runs their background loops). Without it, buildApp composes its own and runs the
   * API role's loops until the app closes.
   */
  composition?: BulComposition;
}

export interface BulApp {
  app: FastifyInstance;
  services: BulComposition['services'] & { rateLimits: BulComposition['deps']['rateLimits'] };
}

/** The global IP check, recompiled only when the rule list changes. */
function globalIpFilter(tenancy: TenancyService): (ip: string) => Promise<boolean> {
  let compiledFor = '';
  let check: (ip: string) => boolean = () => true;
  return async (ip) => {
    const rules = await tenancy.ipRules.platformIpRules();
    const key = JSON.stringify(rules);
    if (key !== compiledFor) {
      compiledFor = key;
      check = compileIpRules(rules);
    }
    return check(ip);
  };
}

export async function buildApp(opts: AppOptions): Promise<BulApp> {
  const { config, pool, masterKey, redis } = opts;
  const logFormat = resolveLogFormat(config.logFormat);
  const logger = opts.logger ?? createLogger(config.logLevel, logFormat);
  const app = Fastify({
    ...(logger ? { loggerInstance: logger as FastifyBaseLogger } : { logger: false }),
    logController: new RequestLog(logFormat), // one line per request, not Fastify's two
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    bodyLimit: config.bodyLimit,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id'], randomUUID),
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Router-level rejections (an over-long path segment, broken %-encoding) are problems too.
    frameworkErrors: (err, request, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      reply.header('x-request-id', request.id);
      return sendProblem(
        reply,
        new AppError('validation-failed', HTTP.badPath(), {
          errors: [
            fieldError(
              '(path)',
              tooLong ? 'maxLength' : 'encoding',
              tooLong ? HTTP.pathSegmentTooLong() : HTTP.badEncoding(),
              'params',
            ),
          ],
        }),
      );
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  registerBodyParsing(app);
  await registerUploads(app, { maxUploadSize: config.maxUploadSize });
  registerProblemHandlers(app);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    nameRequestSpan(request.method, request.routeOptions.url, request.id); // a no-op without tracing
    done();
  });

  // Every /api route must say who may call it; a route without `config.access` is a bug.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && !route.config?.access) {
      throw new Error(`route ${route.method} ${route.url} declares no access (config.access)`);
    }
  });

  // The services come from the module list (src/services.ts): given by `bul start`, which shares
  // them with the worker and runs their loops; otherwise (tests, benches) built here, with the
  // API role's loops running until the app closes.
  let composition = opts.composition;
  let background: RunningLoops | null = null;
  if (!composition) {
    composition = await composeBul({
      config,
      pool,
      masterKey,
      redis,
      log: logger || pino({ level: 'silent' }),
    });
    background = await startBackground(composition.loops, ['api']);
  }
  try {
    return await buildHttp(app, opts, composition, background);
  } catch (err) {
    await background?.stop();
    throw err;
  }
}

async function buildHttp(
  app: FastifyInstance,
  opts: AppOptions,
  composition: BulComposition,
  background: RunningLoops | null,
): Promise<BulApp> {
  const { config, pool, redis } = opts;
  if (background) app.addHook('onClose', () => background.stop());
  const { services } = composition;
  const { tenancy, meter, authenticator } = services;
  const { rateLimits } = composition.deps;

  await registerCompression(app);
  await registerSecurityHeaders(app, {
    corsOrigins: config.corsOrigins,
    https: config.publicUrl.startsWith('https:'),
  });
  await registerOpenApi(app, { version: VERSION, publicUrl: config.publicUrl });
  const registry = createMetrics(pool);
  registerCacheMetrics(registry, composition.deps.cache);
  const { monitoring } = services;
  registerHttpMetrics(app, registry, monitoring.requestStats);
  registerSampledGauges(
    registry,
    METRIC_NAMES.filter((m) => /^(system|process)\./.test(m)).map((metric) => ({
      metric,
      help: METRICS[metric].help,
      labels: METRICS[metric].labels ?? [],
    })),
    () => monitoring.lastSampled(),
  );
  registerClusterGauges(
    registry,
    CLUSTER_GAUGES.map((metric) => ({ metric, help: METRICS[metric].help, labels: [] })),
    {
      latest: () => monitoring.summary(null),
      workerLastSampleEnd: () =>
        monitoring.lastSampleEnd(WORKER_SOURCE_PREFIX, WORKER_SAMPLE_LOOKBACK_SECONDS),
    },
  );

  // /ws: events fanned out from the workers (over NOTIFY, or Redis) to this process's connections.
  const hub = new RealtimeHub({ pool, log: app.log as Logger, catchUpLimit: config.wsResumeLimit });
  const bus = await subscribeToBus({
    pool,
    redis,
    key: composition.busKey,
    log: app.log as Logger,
    onMessage: (m) => hub.receive(m),
    onReconnect: () => hub.catchUp(),
    onRejected: () => {
      hub.stats.rejectedMessages++;
    },
  });
  app.addHook('onClose', () => bus.close());
  await registerWebSocketSupport(app, hub);
  monitoring.watch('ws.connections', () => hub.connectionCount);

  const guard = tenantGuard(meter);
  registerRequestPipeline(app, {
    ipAllowed: globalIpFilter(tenancy),
    authenticate: async (request) => {
      const principal = await authenticator.authenticate(request);
      if (principal)
        request.log = request.log.child({ userId: principal.userId, orgId: principal.org?.id ?? null });
      return principal;
    },
    guard: (principal, access, ip) => guard(principal, access, ip),
    limiters: {
      ip: rateLimits.perRequest({
        name: 'api-ip',
        points: config.rateLimit.ipPerMinute,
        durationSeconds: 60,
      }),
      user: rateLimits.perRequest({
        name: 'api-user',
        points: config.rateLimit.userPerMinute,
        durationSeconds: 60,
      }),
      // Login-class routes: exact across processes (already slow by design: argon2).
      login: rateLimits.exact({
        name: 'login-ip',
        points: config.rateLimit.loginBurst,
        durationSeconds: Math.max(
          1,
          Math.round(config.rateLimit.loginBurst / config.rateLimit.loginPerSecond),
        ),
      }),
    },
  });

  registerIdempotency(app, composition.deps.db, composition.deps.box);

  registerRealtimeMetrics(registry, hub);
  registerRealtimeRoute(app, {
    hub,
    pool,
    log: app.log as Logger,
    origins: [config.publicUrl, ...config.corsOrigins],
    config,
    // The connection's credentials, checked again: not a request (nothing counted, no session touched).
    revalidate: async (request) => {
      const principal = await authenticator.authenticate(request, { touch: false });
      if (!principal) throw new AppError('unauthenticated', HTTP.sendCredentials());
      guard(principal, { authenticated: true }, request.ip, { count: false });
      return principal;
    },
  });

  await app.register(systemRoutes, {
    readiness: readinessCheck(pool, redis),
    registry,
    metricsToken: config.metricsToken,
    info: { version: VERSION, role: opts.role ?? 'api', startedAt: new Date() },
  });
  // The web app at `/` once built (npm run build); until then a page that says how to build it.
  if (webAppBuilt()) await registerWebApp(app);
  else await app.register(landingRoute);
  await composition.registerRootRoutes(app);
  await app.register((api) => composition.registerRoutes(api), { prefix: '/api/v1' });
  await app.ready();
  return { app, services: { ...services, rateLimits } };
}
