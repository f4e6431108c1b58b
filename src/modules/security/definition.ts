// The security module as the processes compose it: threat detection (S8) listening to identity's
// signals in every process, its event handlers in workers, the threat list and dashboard (API),
// and the daily purge of the facts it counts. See docs/security.md.
import { defineModule } from '../../platform/module.ts';
import type { AccessService } from '../access/service.ts';
import type { AuditService } from '../audit/service.ts';
import type { SecuritySignals } from '../identity/service.ts';
import type { MonitoringService } from '../monitoring/service.ts';
import { DELETE_EVENTS } from './detectors/mass-actions.ts';
import { securityRoutes } from './routes.ts';
import { SecurityServices } from './service.ts';

export const securityModule = defineModule({
  name: 'security',
  needs: ['audit', 'access', 'securitySignals', 'monitoring'],
  build: (
    deps,
    {
      audit,
      access,
      securitySignals,
      monitoring,
    }: {
      audit: AuditService;
      access: AccessService;
      securitySignals: SecuritySignals;
      monitoring: MonitoringService;
    },
  ) => {
    const security = new SecurityServices({
      db: deps.db,
      audit,
      access,
      log: deps.log,
      geoIpPath: deps.config.geoIpDbPath,
    });
    securitySignals.listen(security);
    // Each new threat counts once, in its own transaction: by severity, and the total (alert
    // rules on "any severity" read the unlabelled series). Failed logins and lockouts are counted
    // by monitoring itself (from security.login_failed / security.locked_out).
    security.recorder.countWith((tx, orgId, severity, at) =>
      monitoring.recordIn(tx, [
        { orgId, metric: 'security.threats', value: 1, labels: { severity }, at },
        { orgId, metric: 'security.threats', value: 1, at },
      ]),
    );
    return { security };
  },
  routes: async (api, { services }) => {
    await api.register(securityRoutes, { security: services.security });
  },
  jobs: ({ services, deps }) => [
    {
      name: 'security:purge',
      schedule: '17 3 * * *',
      handler: async () => {
        const deleted = await services.security.purge();
        deps.log.info({ deleted }, 'security facts purged');
      },
    },
  ],
  events: {
    emits: ['security.threat_detected', 'security.new_login_location'],
    handles: ({ services: { security } }) => ({
      'security.login_succeeded': security.loginSucceeded,
      'role.changed': security.roleChanged,
      'role.permissions_changed': security.rolePermissionsChanged,
      ...Object.fromEntries(DELETE_EVENTS.map((t) => [t, security.deleted])),
      'data.exported': security.exported,
    }),
  },
  permissions: ['security:read'],
});
