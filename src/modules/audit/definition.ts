// The audit module as the processes compose it: the trail service, its routes, and the sealer
// that links committed events into their chains in every process (API and worker: both record).
import { defineModule } from '../../platform/module.ts';
import { auditRoutes } from './routes.ts';
import { AuditSealer } from './sealer.ts';
import { AuditService } from './service.ts';

export const auditModule = defineModule({
  name: 'audit',
  needs: [],
  build: (deps) => ({ audit: new AuditService(deps.db) }),
  routes: async (api, { services }) => {
    await api.register(auditRoutes, { audit: services.audit });
  },
  background: ({ deps }) => {
    const sealer = new AuditSealer({
      pool: deps.pool,
      intervalMs: deps.config.auditSealIntervalMs,
      onError: deps.onBackgroundError,
    });
    return [
      {
        name: 'audit-sealer',
        roles: ['api', 'worker'],
        start: () => sealer.start(),
        stop: () => sealer.stop(),
      },
    ];
  },
  permissions: ['audit:read'],
});
