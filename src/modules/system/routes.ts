// Operational endpoints: liveness, readiness, Prometheus metrics, the error catalogue.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import { safeEqual } from '../../platform/crypto/tokens.ts';
import { AppError, ERROR_CATALOGUE } from '../../platform/errors.ts';
import { PUBLIC } from '../../platform/http/request-context.ts';
import { SYSTEM } from './messages.ts';
import type { ReadinessCheck } from './readiness.ts';

const Check = Type.Object({
  name: Type.String(),
  ok: Type.Boolean(),
  detail: Type.Optional(Type.String()),
  ms: Type.Number(),
});

export const systemRoutes: FastifyPluginAsyncTypebox<{
  readiness: ReadinessCheck;
  registry: Registry;
  metricsToken: string | null;
  info: { version: string; role: string; startedAt: Date };
}> = async (app, { readiness, registry, metricsToken, info }) => {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['system'],
        summary: 'Liveness: the process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok'), uptimeSeconds: Type.Number() }) },
      },
      config: { access: PUBLIC },
    },
    async () => ({ status: 'ok' as const, uptimeSeconds: Math.round(process.uptime()) }),
  );

  const ReadyResult = Type.Object({
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
    version: Type.String(),
    role: Type.String(),
    startedAt: Type.String(),
    checks: Type.Array(Check),
  });
  app.get(
    '/ready',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['system'],
        summary: 'Readiness: database reachable, migrations current (and Redis, when configured)',
        response: { 200: ReadyResult, 503: ReadyResult },
      },
      config: { access: PUBLIC },
    },
    async (_request, reply) => {
      const checks = await readiness();
      const ok = checks.every((c) => c.ok);
      return reply.code(ok ? 200 : 503).send({
        status: ok ? 'ready' : 'not_ready',
        version: info.version,
        role: info.role,
        startedAt: info.startedAt.toISOString(),
        checks,
      });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        tags: ['system'],
        summary: 'Prometheus metrics (Bearer METRICS_TOKEN when that is set)',
        produces: ['text/plain'],
      },
      config: { access: PUBLIC, problems: ['unauthenticated'] },
    },
    async (request, reply) => {
      if (metricsToken) {
        const sent = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
        if (!safeEqual(sent, metricsToken)) throw new AppError('unauthenticated', SYSTEM.metricsToken());
      }
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );

  app.get(
    '/api/v1/errors',
    {
      schema: {
        operationId: 'listErrorTypes',
        tags: ['system'],
        summary: 'The catalogue of error types (problem+json `type` = urn:bul:error:<code>)',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                type: Type.String(),
                code: Type.String(),
                status: Type.Integer(),
                title: Type.String(),
                description: Type.String(),
              }),
            ),
            nextCursor: Type.Null(),
          }),
        },
      },
      config: { access: PUBLIC },
    },
    async () => ({
      items: Object.entries(ERROR_CATALOGUE).map(([code, e]) => ({
        type: `urn:bul:error:${code}`,
        code,
        ...e,
      })),
      nextCursor: null,
    }),
  );
};
