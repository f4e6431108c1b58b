// The monitoring module as the processes compose it: the metrics history (MonitoringService),
// the security counters it keeps from domain events, the sampler every process runs and the
// cluster readings one process takes per tick, the roll-up and retention jobs, and the
// /monitoring routes. See docs/monitoring.md.
import { PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import { TickLoop } from '../../platform/jobs/tick-loop.ts';
import { defineModule, type EventHandler } from '../../platform/module.ts';
import { clusterReadings, sampleCluster } from './cluster-readings.ts';
import { monitoringJobs } from './jobs.ts';
import { ReadingRunner } from './readings.ts';
import { monitoringRoutes } from './routes.ts';
import { Sampler } from './sampler.ts';
import { MonitoringService } from './service.ts';

export const monitoringModule = defineModule({
  name: 'monitoring',
  needs: [],
  build: (deps) => ({
    monitoring: new MonitoringService({
      db: deps.db,
      sampleIntervalSeconds: deps.config.monitor.sampleSeconds,
      retention: {
        rawSeconds: deps.config.monitor.rawRetention,
        minuteSeconds: deps.config.monitor.minuteRetention,
      },
    }),
  }),
  routes: async (api, { services, deps }) => {
    await api.register(monitoringRoutes, { monitoring: services.monitoring, db: deps.db });
  },
  jobs: ({ deps }) => monitoringJobs(deps.db, deps.config),
  background: ({ services, deps }) => {
    const { monitoring } = services;
    let tick = new Date(0);
    const readings = clusterReadings(deps.pool, () => tick);
    const runner = new ReadingRunner(deps.log);
    const cluster = new TickLoop({
      pool: deps.pool,
      name: 'monitoring:cluster',
      everyMs: monitoring.sampleIntervalSeconds * 1000,
      run: async (t) => {
        tick = t;
        await sampleCluster(monitoring, runner, readings, t);
      },
      onError: deps.onBackgroundError,
      log: deps.log,
    });
    return [
      new Sampler({
        monitoring,
        pool: deps.pool,
        log: deps.log,
        dataDir: deps.config.dataDir,
        onError: deps.onBackgroundError,
        cache: deps.cache,
      }),
      {
        name: 'monitoring:cluster',
        roles: ['api', 'worker'],
        start: () => cluster.start(),
        stop: () => cluster.stop(),
      },
    ];
  },
  events: {
    // Counted in the event's transaction, so each failure counts once however often it is delivered.
    handles: ({ services }) => {
      const count =
        (metric: 'security.failed_logins' | 'security.lockouts'): EventHandler =>
        async (event, ctx) => {
          if (event.orgId === PLATFORM_ORG_ID) return; // a login outside any organization
          await services.monitoring.recordIn(ctx.tx, [
            { orgId: event.orgId, metric, value: 1, at: new Date(event.occurredAt) },
          ]);
        };
      return {
        'security.login_failed': count('security.failed_logins'),
        'security.locked_out': count('security.lockouts'),
      };
    },
  },
  permissions: ['monitoring:read'],
});
