// The work module as the processes compose it: clients, projects and tasks.
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { workRoutes } from './routes.ts';
import { WorkService } from './service.ts';

export const workModule = defineModule({
  name: 'work',
  needs: ['audit', 'tenancy'],
  build: (deps, { audit, tenancy }: { audit: AuditService; tenancy: TenancyService }) => ({
    work: new WorkService({ db: deps.db, config: deps.config, audit, tenancy }),
  }),
  routes: async (api, { services, deps }) => {
    await api.register(workRoutes, { work: services.work, config: deps.config });
  },
  permissions: [
    'clients:read',
    'clients:manage',
    'projects:read',
    'projects:manage',
    'projects:reopen',
    'tasks:read',
    'tasks:work',
    'tasks:manage',
  ],
});
