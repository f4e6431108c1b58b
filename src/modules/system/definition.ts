// The system module as the processes compose it: the housekeeping jobs every installation runs,
// and the health checks (docs/health.md): the runner on the TickLoop `system:health` in every
// worker process (one runs each round and records its score in monitoring) and
// `GET /api/v1/system/health`. Its other HTTP surface (liveness, readiness, metrics, the landing
// page) belongs to the process rather than to /api/v1, so app.ts mounts it; the demo seeder is a
// command (`bul seed-demo`).
import { defineModule } from '../../platform/module.ts';
import type { MonitoringService } from '../monitoring/service.ts';
import type { NotificationServices } from '../notifications/service.ts';
import { platformChecks } from './health-checks.ts';
import { healthRoutes } from './health-routes.ts';
import { HealthRunner } from './health-runner.ts';
import { HealthService } from './health-service.ts';
import { housekeepingJobs } from './jobs.ts';

export const systemModule = defineModule({
  name: 'system',
  needs: ['notifications', 'monitoring'],
  build: (
    deps,
    { notifications, monitoring }: { notifications: NotificationServices; monitoring: MonitoringService },
  ) => {
    const h = deps.config.health;
    return {
      health: new HealthService({ db: deps.db, everySeconds: h.everySeconds }),
      healthRunner: new HealthRunner({
        pool: deps.pool,
        checks: platformChecks({
          pool: deps.pool,
          redis: deps.redis,
          dataDir: deps.config.dataDir,
          queueMaxAgeSeconds: h.queueMaxAgeSeconds,
          tls: {
            publicUrl: deps.config.publicUrl,
            urls: h.tls.urls,
            extraCa: h.tls.ca,
            timeoutMs: h.timeoutMs,
            thresholds: { degradedDays: h.tls.degradedDays, downDays: h.tls.downDays },
          },
        }),
        channels: notifications.health,
        everySeconds: h.everySeconds,
        timeoutMs: h.timeoutMs,
        retentionDays: h.retentionDays,
        // health.score and health.failing_checks, for alert rules (docs/health.md).
        record: (samples) => monitoring.record(samples),
        onError: (err) => deps.log.error({ err }, 'a health check round failed'),
        log: deps.log,
      }),
    };
  },
  routes: async (api, { services }) => {
    await api.register(healthRoutes, { health: services.health });
  },
  jobs: ({ deps }) => housekeepingJobs(deps.pool),
  background: ({ services }) => [
    {
      name: 'health-checks',
      roles: ['worker'],
      start: () => services.healthRunner.loop.start(),
      stop: () => services.healthRunner.loop.stop(),
    },
  ],
  permissions: ['system:health'],
});
