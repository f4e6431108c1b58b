// What the identity services are built from (service.ts builds them all from one object).
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import type { LoginLockout } from './lockout.ts';
import type { SecuritySignals } from './security-signals.ts';
import type { SigningKeyRing } from './signing-keys.ts';

export interface IdentityDeps {
  db: Db;
  config: Config;
  audit: AuditService;
  tenancy: TenancyService;
  keys: SigningKeyRing;
  box: SecretBox;
  lockout: LoginLockout;
  /** Failures and token reuse, for threat detection (security-signals.ts). */
  signals: SecuritySignals;
}
