// The alerts module as the processes compose it: rules and alerts (API), and the evaluation of
// every due rule once per tick across all processes (TickLoop `alerts:evaluate`, every 15 s, in
// worker processes), which first installs the built-in rules organizations lack. See docs/alerts.md.
import { TickLoop } from '../../platform/jobs/tick-loop.ts';
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import type { MonitoringService } from '../monitoring/service.ts';
import type { AlertEvaluator, TickReport } from './evaluator.ts';
import { alertRoutes } from './routes.ts';
import { AlertServices } from './service.ts';

export const EVALUATE_TICK = 'alerts:evaluate';
export const EVALUATE_EVERY_MS = 15_000;
/** Ticks between two looks for organizations without their built-in rules (new ones): 1 minute. */
const INSTALL_EVERY_TICKS = 4;

/**
 * What the loop runs each tick: now and then the built-in rules organizations lack, then the
 * evaluation. A failing install (a lost connection) goes to onError and the tick still evaluates.
 */
export function evaluationRun(
  evaluator: Pick<AlertEvaluator, 'installMissing' | 'runTick'>,
  onError: (err: unknown) => void,
  onOrgFailed: (f: TickReport['failed'][number]) => void,
): (tick: Date) => Promise<void> {
  let ticks = 0;
  return async (tick) => {
    if (ticks++ % INSTALL_EVERY_TICKS === 0) await evaluator.installMissing().catch(onError);
    const report = await evaluator.runTick(tick);
    for (const f of report.failed) onOrgFailed(f);
  };
}

export const alertsModule = defineModule({
  name: 'alerts',
  needs: ['audit', 'monitoring'],
  build: (deps, { audit, monitoring }: { audit: AuditService; monitoring: MonitoringService }) => ({
    alerts: new AlertServices({ db: deps.db, pool: deps.pool, audit, monitoring }),
  }),
  routes: async (api, { services }) => {
    await api.register(alertRoutes, { alerts: services.alerts });
  },
  jobs: ({ services, deps }) => [
    {
      name: 'alerts:prune',
      schedule: '23 3 * * *',
      handler: async (_payload, helpers) => {
        const n = await services.alerts.evaluator.pruneResolved(new Date(), deps.config.alertRetentionDays);
        helpers.logger.info(`alert retention: ${n} resolved alerts deleted`);
      },
    },
  ],
  background: ({ services, deps }) => {
    const log = deps.log.child({ component: 'alert-evaluator' });
    const onError = (err: unknown) => log.error({ err }, 'an alert evaluation tick failed');
    const loop = new TickLoop({
      pool: deps.pool,
      name: EVALUATE_TICK,
      everyMs: EVALUATE_EVERY_MS,
      run: evaluationRun(services.alerts.evaluator, onError, (f) =>
        log.error(
          { org: f.orgId, err: f.error },
          'the alert rules of an organization could not be evaluated',
        ),
      ),
      onError,
      log,
    });
    return [
      {
        name: 'alert-evaluation',
        roles: ['worker'],
        start: () => loop.start(),
        stop: () => loop.stop(),
      },
    ];
  },
  events: { emits: ['alert.fired', 'alert.acknowledged', 'alert.resolved'] },
  permissions: ['alerts:read', 'alerts:manage'],
});
