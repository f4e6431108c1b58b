// The identity module's services, built together. Routes and other modules reach identity
// through this object.
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { AccountService } from './account-service.ts';
import type { LoginLockout } from './lockout.ts';
import { LoginService } from './login-service.ts';
import { MfaService } from './mfa-service.ts';
import { OnboardingService } from './onboarding-service.ts';
import type { SigningKeyRing } from './signing-keys.ts';

export type { LoginOutcome, SessionMode } from './login-service.ts';

export class IdentityService {
  readonly onboarding: OnboardingService;
  readonly login: LoginService;
  readonly mfa: MfaService;
  readonly account: AccountService;

  constructor(deps: {
    db: Db;
    config: Config;
    audit: AuditService;
    tenancy: TenancyService;
    keys: SigningKeyRing;
    box: SecretBox;
    lockout: LoginLockout;
  }) {
    this.onboarding = new OnboardingService(deps);
    this.mfa = new MfaService(deps);
    this.login = new LoginService({ ...deps, mfa: this.mfa });
    this.account = new AccountService(deps);
  }
}
