// The tenancy module as the processes compose it: organizations, members and the rest, and the
// usage meter, whose counts of API requests API processes flush every few seconds.
import { defineModule } from '../../platform/module.ts';
import type { AccessService } from '../access/service.ts';
import type { AuditService } from '../audit/service.ts';
import { tenancyRoutes } from './routes.ts';
import { TenancyService } from './service.ts';
import { UsageMeter } from './usage-meter.ts';

export const tenancyModule = defineModule({
  name: 'tenancy',
  needs: ['audit', 'access'],
  build: (deps, { audit, access }: { audit: AuditService; access: AccessService }) => ({
    tenancy: new TenancyService({ db: deps.db, config: deps.config, audit, access }),
    meter: new UsageMeter(deps.db, deps.onBackgroundError),
  }),
  routes: async (api, { services }) => {
    await api.register(tenancyRoutes, { tenancy: services.tenancy, meter: services.meter });
  },
  background: ({ services: { meter } }) => [
    { name: 'usage-meter', roles: ['api'], start: () => meter.start(), stop: () => meter.stop() },
  ],
  permissions: [
    'organization:read',
    'organization:update',
    'plan:read',
    'plan:manage',
    'members:read',
    'members:invite',
    'members:update',
    'members:remove',
    'departments:read',
    'departments:manage',
    'ip_rules:read',
    'ip_rules:manage',
  ],
});
