// The analytics module's services, built together: the organization dashboard and project
// performance report, and the executive metrics and trends. Read-only: nothing here writes, so
// nothing is audited.
import type { Db } from '../../platform/db/transaction.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { DashboardService } from './dashboard-service.ts';
import { ExecutiveService } from './executive-service.ts';

export class AnalyticsService {
  readonly dashboard: DashboardService;
  readonly executive: ExecutiveService;

  constructor(deps: { db: Db; tenancy: TenancyService; audit: AuditService }) {
    this.dashboard = new DashboardService(deps);
    this.executive = new ExecutiveService(deps);
  }
}
