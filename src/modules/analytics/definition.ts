// The analytics module as the processes compose it: dashboards and executive metrics (read only).
// Last in the module list: the executive metrics read monitoring, system's health checks, security
// and alerts.
import { defineModule } from '../../platform/module.ts';
import type { AlertServices } from '../alerts/service.ts';
import type { AuditService } from '../audit/service.ts';
import type { BackupServices } from '../backups/service.ts';
import type { MonitoringService } from '../monitoring/service.ts';
import type { SecurityServices } from '../security/service.ts';
import type { HealthService } from '../system/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { analyticsRoutes } from './routes.ts';
import { AnalyticsService } from './service.ts';

export const analyticsModule = defineModule({
  name: 'analytics',
  needs: ['audit', 'tenancy', 'monitoring', 'health', 'security', 'alerts', 'backups'],
  build: (
    deps,
    s: {
      audit: AuditService;
      tenancy: TenancyService;
      monitoring: MonitoringService;
      health: HealthService;
      security: SecurityServices;
      alerts: AlertServices;
      backups: BackupServices;
    },
  ) => ({
    analytics: new AnalyticsService({ db: deps.db, cache: deps.cache, ...s }),
  }),
  routes: async (api, { services }) => {
    await api.register(analyticsRoutes, { analytics: services.analytics });
  },
  permissions: ['analytics:read', 'executive:read'],
});
