import { AccountService } from './account-service.ts';
import type { IdentityDeps } from './deps.ts';
import { LoginService } from './login-service.ts';
import { MfaService } from './mfa-service.ts';
import { OnboardingService } from './onboarding-service.ts';

export type { LoginOutcome, SessionMode } from './login-service.ts';
export type {
  ApiKeyUseSignal,
  LoginFailureSignal,
  SecurityListener,
  SecuritySignals,
  TokenReuseSignal,
} from './security-signals.ts';

export class IdentityService {
  readonly onboarding: OnboardingService;
  readonly login: LoginService;
  readonly mfa: MfaService;
  readonly account: AccountService;

  constructor(deps: IdentityDeps) {
    this.onboarding = new OnboardingService(deps);
    this.mfa = new MfaService(deps);
    this.login = new LoginService({ ...deps, mfa: this.mfa });
    this.account = new AccountService(deps);
  }
}
