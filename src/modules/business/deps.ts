// What the business services are built from.
import type { Db } from '../../platform/db/transaction.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import type { WorkService } from '../work/service.ts';

export interface BusinessDeps {
  db: Db;
  audit: AuditService;
  tenancy: TenancyService;
  /** Clients and projects that business records refer to (checked to exist in the organization). */
  work: WorkService;
}
