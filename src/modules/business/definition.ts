// The business module as the processes compose it: contracts, invoices, deals and feedback. Its
// service registers the client ledger with work's client service when it is built.
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import type { WorkService } from '../work/service.ts';
import { businessRoutes } from './routes.ts';
import { BusinessService } from './service.ts';

export const businessModule = defineModule({
  name: 'business',
  needs: ['audit', 'tenancy', 'work'],
  build: (
    deps,
    { audit, tenancy, work }: { audit: AuditService; tenancy: TenancyService; work: WorkService },
  ) => ({ business: new BusinessService({ db: deps.db, audit, tenancy, work }) }),
  routes: async (api, { services }) => {
    await api.register(businessRoutes, { business: services.business });
  },
  permissions: ['business:read', 'business:manage'],
});
