// The tenancy checks every authenticated request passes after authentication: the organization
// is active and accepts the client's address, the membership is active, the MFA policy is met,
// and the plan's monthly request quota is not spent (the request is then counted).
import { AppError } from '../../platform/errors.ts';
import type { Principal, RouteAccess } from '../../platform/http/request-context.ts';
import { assertOrgIpAllowed } from './ip-rule-service.ts';
import { TENANCY } from './messages.ts';
import { secondsToNextMonth, type UsageMeter } from './usage-meter.ts';

export function tenantGuard(meter: UsageMeter) {
  /** `count: false` checks without counting a request (a /ws connection checked again). */
  return (principal: Principal, access: RouteAccess, ip: string, opts: { count?: boolean } = {}): void => {
    const org = principal.org;
    if (!org) return;
    if (!principal.isSuperAdmin) {
      if (org.status !== 'active')
        throw new AppError('organization-suspended', TENANCY.organizationSuspended({ name: org.name }));
      assertOrgIpAllowed(org, ip);
      if (principal.membership?.status === 'suspended')
        throw new AppError('account-disabled', TENANCY.membershipSuspended({ name: org.name }));
      const mfaStepAllowed = 'public' in access ? true : access.duringMfaEnrollment === true;
      if (org.requireMfa && !principal.mfaEnabled && !mfaStepAllowed) {
        throw new AppError('mfa-enrollment-required', TENANCY.organizationRequiresMfa({ name: org.name }));
      }
    }
    if (opts.count === false) return;
    const limit = org.maxApiRequestsPerMonth;
    if (limit !== null) {
      const used = org.apiRequestsThisMonth + meter.unflushed(org.id);
      if (used >= limit) {
        throw new AppError('request-quota-exceeded', TENANCY.requestQuota({ limit, used }), {
          retryAfterSeconds: secondsToNextMonth(),
          extra: { limit: { name: 'max_api_requests_per_month', value: limit }, usage: used },
        });
      }
    }
    meter.count(org.id);
  };
}
