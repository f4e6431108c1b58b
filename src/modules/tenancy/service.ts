// The tenancy module's services, built together: organizations, members, invitations,
// departments and IP rules. Other modules and the routes reach tenancy through this object.
import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { AccessService } from '../access/service.ts';
import type { AuditService } from '../audit/service.ts';
import { DepartmentService } from './department-service.ts';
import { InvitationService } from './invitation-service.ts';
import { IpRuleService } from './ip-rule-service.ts';
import { MemberService } from './member-service.ts';
import { OrganizationService } from './organization-service.ts';

export { assertOrgIpAllowed, compileIpRules, ipPasses } from './ip-rule-service.ts';
export type { LoginOrganization } from './organization-service.ts';
export type { MyOrgRow as UserOrganizationRow } from './store.ts';

export class TenancyService {
  readonly organizations: OrganizationService;
  readonly members: MemberService;
  readonly invitations: InvitationService;
  readonly departments: DepartmentService;
  readonly ipRules: IpRuleService;

  constructor(deps: { db: Db; config: Config; audit: AuditService; access: AccessService }) {
    this.organizations = new OrganizationService(deps);
    this.members = new MemberService(deps);
    this.invitations = new InvitationService(deps);
    this.departments = new DepartmentService(deps);
    this.ipRules = new IpRuleService(deps);
  }
}
