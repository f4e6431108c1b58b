// The chain every request goes through, in order, before its body is even read:
//   global IP rules → per-IP rate limit (stricter for login-class routes) → authentication
//   → tenancy guard → per-user rate limit → the route's permission.
// Routes declare what they need in `config.access`; this is the only place that enforces it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { HTTP } from './messages.ts';
import { consumeOrThrow, type LimitOutcome, type RequestLimiter } from './rate-limit.ts';
import type { Principal, RouteAccess } from './request-context.ts';
import { routeAccess } from './request-context.ts';

export interface PipelineDeps {
  /** Whether the address may reach the installation at all (global allow/deny rules). */
  ipAllowed: (ip: string) => Promise<boolean>;
  authenticate: (request: FastifyRequest) => Promise<Principal | null>;
  guard: (principal: Principal, access: RouteAccess, ip: string) => void;
  limiters: { ip: RequestLimiter; user: RequestLimiter; login: RequestLimiter };
}

const PROBES = new Set(['/health', '/ready']);

function setRateHeaders(reply: FastifyReply, o: LimitOutcome): void {
  reply.header('ratelimit-limit', o.limit);
  reply.header('ratelimit-remaining', o.remaining);
  reply.header('ratelimit-reset', o.resetSeconds);
}

export function registerRequestPipeline(app: FastifyInstance, deps: PipelineDeps): void {
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    if (PROBES.has(path)) return;
    if (!(await deps.ipAllowed(request.ip)))
      throw new AppError('ip-blocked', HTTP.addressRefused({ ip: request.ip }));

    const access = routeAccess(request);
    // docs, JWKS, metrics, web app: no per-user work; /ws is authenticated like the API
    if (!path.startsWith('/api/') && path !== '/ws') return;
    const byIp = await consumeOrThrow(deps.limiters.ip, request.ip, 'per-address');
    if (request.routeOptions.config?.rateLimitClass === 'login') {
      setRateHeaders(reply, await consumeOrThrow(deps.limiters.login, request.ip, 'login'));
    }
    if (!access || 'public' in access) {
      setRateHeaders(reply, byIp);
      return;
    }

    const principal = await deps.authenticate(request);
    if (!principal) throw new AppError('unauthenticated', HTTP.sendCredentials());
    request.principal = principal;
    reply.log = request.log; // the completion line is written through reply.log: let it name the user too
    deps.guard(principal, access, request.ip);
    const byUser = await consumeOrThrow(
      deps.limiters.user,
      principal.apiKeyId ?? principal.userId,
      'per-user',
    );
    setRateHeaders(reply, byUser.remaining < byIp.remaining ? byUser : byIp);
    if ('permission' in access && !principal.permissions.has(access.permission)) {
      throw new AppError('forbidden', HTTP.needsPermission({ permission: access.permission }), {
        extra: { permission: access.permission },
      });
    }
  });
}
