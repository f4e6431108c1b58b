// The access module as the processes compose it: roles and the permission catalogue. It declares
// the platform's own permission (platform:admin), which super admins hold and routes of several
// modules require.
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import { accessRoutes } from './routes.ts';
import { AccessService } from './service.ts';

export const accessModule = defineModule({
  name: 'access',
  needs: ['audit'],
  build: (deps, { audit }: { audit: AuditService }) => ({ access: new AccessService(deps.db, audit) }),
  routes: async (api, { services }) => {
    await api.register(accessRoutes, { access: services.access });
  },
  permissions: ['roles:read', 'roles:manage', 'platform:admin'],
});
