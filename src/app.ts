// Builds the HTTP application: platform plugins first (errors, security headers, docs, metrics,
// the request pipeline), then the feature modules under /api/v1. Used by `bul start` and by the
// tests (which call `inject`); only the CLI listens on a port.
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import pkg from '../package.json' with { type: 'json' };
import type { Config } from './config.ts';
import { accessRoutes } from './modules/access/routes.ts';
import { AccessService } from './modules/access/service.ts';
import { analyticsRoutes } from './modules/analytics/routes.ts';
import { AnalyticsService } from './modules/analytics/service.ts';
import { auditRoutes } from './modules/audit/routes.ts';
import { AuditSealer } from './modules/audit/sealer.ts';
import { AuditService } from './modules/audit/service.ts';
import { businessRoutes } from './modules/business/routes.ts';
import { BusinessService } from './modules/business/service.ts';
import { eventRoutes } from './modules/events/routes.ts';
import { EventFailureService } from './modules/events/service.ts';
import { ApiKeyService } from './modules/identity/api-key-service.ts';
import { Authenticator } from './modules/identity/authenticator.ts';
import { LoginLockout } from './modules/identity/lockout.ts';
import { identityRoutes, jwksRoute } from './modules/identity/routes.ts';
import { IdentityService } from './modules/identity/service.ts';
import { SigningKeyRing } from './modules/identity/signing-keys.ts';
import { landingRoute } from './modules/system/landing.ts';
import { readinessCheck } from './modules/system/readiness.ts';
import { systemRoutes } from './modules/system/routes.ts';
import { tenantGuard } from './modules/tenancy/request-guard.ts';
import { tenancyRoutes } from './modules/tenancy/routes.ts';
import { compileIpRules, TenancyService } from './modules/tenancy/service.ts';
import { UsageMeter } from './modules/tenancy/usage-meter.ts';
import { workRoutes } from './modules/work/routes.ts';
import { WorkService } from './modules/work/service.ts';
import type { MasterKey } from './platform/crypto/master-key.ts';
import { SecretBox } from './platform/crypto/secret-box.ts';
import { Db } from './platform/db/transaction.ts';
import { AppError, fieldError } from './platform/errors.ts';
import { registerCompression } from './platform/http/compression.ts';
import { registerIdempotency } from './platform/http/idempotency.ts';
import { HTTP } from './platform/http/messages.ts';
import { registerOpenApi } from './platform/http/openapi.ts';
import { registerProblemHandlers, sendProblem } from './platform/http/problem.ts';
import { createRateLimitStore, type RateLimitStore } from './platform/http/rate-limit.ts';
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
import { createMetrics, registerHttpMetrics } from './platform/observability/metrics.ts';

export const VERSION: string = pkg.version;

export interface AppOptions {
  config: Config;
  pool: pg.Pool;
  masterKey: MasterKey;
  redis: Redis | null;
  role?: string;
  /** The process's logger (default: one made from the configuration), or false to keep tests quiet. */
  logger?: Logger | false;
}

export interface BulApp {
  app: FastifyInstance;
  services: {
    audit: AuditService;
    access: AccessService;
    tenancy: TenancyService;
    identity: IdentityService;
    apiKeys: ApiKeyService;
    keys: SigningKeyRing;
    meter: UsageMeter;
    work: WorkService;
    business: BusinessService;
    rateLimits: RateLimitStore;
  };
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
    done();
  });

  // Every /api route must say who may call it; a route without `config.access` is a bug.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && !route.config?.access) {
      throw new Error(`route ${route.method} ${route.url} declares no access (config.access)`);
    }
  });

  const db = new Db(pool);
  const box = new SecretBox(masterKey);
  const rateLimits = createRateLimitStore(config.rateLimitStore, {
    pool,
    redis,
    syncIntervalMs: config.rateLimitSyncIntervalMs,
    onError: (err) => app.log.error({ err }, 'rate-limit counters could not be synced'),
  });
  const audit = new AuditService(db);
  const access = new AccessService(db, audit);
  const tenancy = new TenancyService({ db, config, audit, access });
  const keys = new SigningKeyRing({
    db,
    box,
    issuer: config.publicUrl,
    rotationSeconds: config.jwtKeyRotation,
    maxTokenSeconds: 15 * 60,
  });
  await keys.start();
  const lockout = new LoginLockout(rateLimits.exact, config.lockout);
  const identity = new IdentityService({ db, config, audit, tenancy, keys, box, lockout });
  const apiKeys = new ApiKeyService(db, audit);
  const onBackgroundError = (err: unknown) => app.log.error({ err }, 'background task failed');
  const meter = new UsageMeter(db, onBackgroundError);
  meter.start();
  const sealer = new AuditSealer({
    pool,
    intervalMs: config.auditSealIntervalMs,
    onError: onBackgroundError,
  });
  sealer.start();
  const work = new WorkService({ db, config, audit, tenancy });
  const analytics = new AnalyticsService({ db, tenancy, audit });
  const business = new BusinessService({ db, audit, tenancy, work });
  const authenticator = new Authenticator({ db, config, keys, tenancy, onError: onBackgroundError });

  app.addHook('onClose', async () => {
    keys.stop();
    await meter.stop();
    await sealer.stop();
    await rateLimits.stop();
  });

  await registerCompression(app);
  await registerSecurityHeaders(app, {
    corsOrigins: config.corsOrigins,
    https: config.publicUrl.startsWith('https:'),
  });
  await registerOpenApi(app, { version: VERSION, publicUrl: config.publicUrl });
  const registry = createMetrics(pool);
  registerHttpMetrics(app, registry);

  registerRequestPipeline(app, {
    ipAllowed: globalIpFilter(tenancy),
    authenticate: async (request) => {
      const principal = await authenticator.authenticate(request);
      if (principal)
        request.log = request.log.child({ userId: principal.userId, orgId: principal.org?.id ?? null });
      return principal;
    },
    guard: tenantGuard(meter),
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

  registerIdempotency(app, db);

  await app.register(systemRoutes, {
    readiness: readinessCheck(pool, redis),
    registry,
    metricsToken: config.metricsToken,
    info: { version: VERSION, role: opts.role ?? 'api', startedAt: new Date() },
  });
  // The web app at `/` once built (npm run build); until then a page that says how to build it.
  if (webAppBuilt()) await registerWebApp(app);
  else await app.register(landingRoute);
  await app.register(jwksRoute, { keys });
  await app.register(
    async (api) => {
      await api.register(identityRoutes, { identity, apiKeys, authenticator, config });
      await api.register(tenancyRoutes, { tenancy, meter });
      await api.register(accessRoutes, { access });
      await api.register(auditRoutes, { audit });
      await api.register(eventRoutes, { failures: new EventFailureService({ db, audit }) });
      await api.register(analyticsRoutes, { analytics });
      await api.register(workRoutes, { work, config });
      await api.register(businessRoutes, { business });
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
  return {
    app,
    services: { audit, access, tenancy, identity, apiKeys, keys, meter, work, business, rateLimits },
  };
}
