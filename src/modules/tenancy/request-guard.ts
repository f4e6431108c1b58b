// The tenancy checks every authenticated request passes after authentication: the organization
// is active and accepts the client's address, the membership is active, the MFA policy is met,
// and the plan's monthly request quota is not spent (the request is then counted).
import { AppError } from '../../platform/errors.ts';
import type { Principal, RouteAccess } from '../../platform/http/request-context.ts';
import { assertOrgIpAllowed } from './ip-rule-service.ts';
import { secondsToNextMonth, type UsageMeter } from './usage-meter.ts';

export function tenantGuard(meter: UsageMeter) {
  return (principal: Principal, access: RouteAccess, ip: string): void => {
    const org = principal.org;
    if (!org) return;
    if (!principal.isSuperAdmin) {
      if (org.status !== 'active')
        throw new AppError('organization-suspended', `the organization ${org.name} is suspended`);
      assertOrgIpAllowed(org, ip);
      if (principal.membership?.status === 'suspended')
        throw new AppError('account-disabled', `your membership in ${org.name} is suspended`);
      const mfaStepAllowed = 'public' in access ? true : access.duringMfaEnrollment === true;
      if (org.requireMfa && !principal.mfaEnabled && !mfaStepAllowed) {
        throw new AppError(
          'mfa-enrollment-required',
          `${org.name} requires multi-factor authentication: enrol with POST /api/v1/auth/mfa/setup and /auth/mfa/enable`,
        );
      }
    }
    const limit = org.maxApiRequestsPerMonth;
    if (limit !== null) {
      const used = org.apiRequestsThisMonth + meter.unflushed(org.id);
      if (used >= limit) {
        throw new AppError(
          'request-quota-exceeded',
          `the plan allows ${limit} API requests a month and ${used} were made`,
          {
            retryAfterSeconds: secondsToNextMonth(),
            extra: { limit: { name: 'max_api_requests_per_month', value: limit }, usage: used },
          },
        );
      }
    }
    meter.count(org.id);
  };
}
