// The analytics module's services, built together: the organization dashboard and project
// performance report, and the executive metrics and trends (which also read monitoring, the health
// checks, security and alerts through their services). Read-only: nothing here writes, so nothing
// is audited.
import type { Cache } from '../../platform/cache/cache.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { AnalyticsCache } from './cached.ts';
import { DashboardService } from './dashboard-service.ts';
import type { OperationsDeps } from './executive-operations.ts';
import { ExecutiveService } from './executive-service.ts';

export class AnalyticsService {
  readonly dashboard: DashboardService;
  readonly executive: ExecutiveService;

  constructor(deps: { db: Db; cache: Cache; tenancy: TenancyService; audit: AuditService } & OperationsDeps) {
    const cached = new AnalyticsCache(deps.db, deps.cache);
    this.dashboard = new DashboardService({ ...deps, cached });
    this.executive = new ExecutiveService({ ...deps, cached });
  }
}
