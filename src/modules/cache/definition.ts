// The cache module as the processes compose it: the figures of the platform cache
// (src/platform/cache, built once per process in PlatformDeps) and invalidation by tag, for super
// admins. The modules that cache (analytics) use PlatformDeps.cache directly.
import { defineModule } from '../../platform/module.ts';
import type { AuditService } from '../audit/service.ts';
import { cacheRoutes } from './routes.ts';
import { CacheService } from './service.ts';

export const cacheModule = defineModule({
  name: 'cache',
  needs: ['audit'],
  build: (deps, { audit }: { audit: AuditService }) => ({
    cacheAdmin: new CacheService({
      cache: deps.cache,
      maxBytes: deps.config.cache.maxBytes,
      db: deps.db,
      audit,
    }),
  }),
  routes: async (api, { services }) => {
    await api.register(cacheRoutes, { cache: services.cacheAdmin });
  },
});
