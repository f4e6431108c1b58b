// The analytics module as the processes compose it: dashboards and executive metrics (read only).
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { analyticsRoutes } from './routes.ts';
import { AnalyticsService } from './service.ts';

export const analyticsModule = defineModule({
  name: 'analytics',
  needs: ['audit', 'tenancy'],
  build: (deps, { audit, tenancy }: { audit: AuditService; tenancy: TenancyService }) => ({
    analytics: new AnalyticsService({ db: deps.db, tenancy, audit }),
  }),
  routes: async (api, { services }) => {
    await api.register(analyticsRoutes, { analytics: services.analytics });
  },
  permissions: ['analytics:read', 'executive:read'],
});
