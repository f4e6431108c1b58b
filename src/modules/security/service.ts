// The security module's entry point (the only file other modules import): threat detection fed by
// identity's signals (failed logins, refresh-token reuse, API key use: inline or off the request)
// and by domain events in workers (logins, role changes, deletions, exports); the threat list and
// the dashboard. See docs/security.md.
import type { Logger } from 'pino';
import { PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { CallContext } from '../../platform/http/request-context.ts';
import type { DomainEvent, EventHandlerContext } from '../../platform/module.ts';
import type { AccessService } from '../access/service.ts';
import type { AuditService } from '../audit/service.ts';
import type {
  ApiKeyUseSignal,
  LoginFailureSignal,
  SecurityListener,
  TokenReuseSignal,
} from '../identity/service.ts';
import { DashboardService } from './dashboard-service.ts';
import { detectApiKeyNetwork } from './detectors/api-key-network.ts';
import { detectRoleChange, detectRolePermissions } from './detectors/escalation.ts';
import { detectLoginFailure } from './detectors/login-failures.ts';
import { detectLoginOrigin } from './detectors/login-origin.ts';
import { detectMassAction } from './detectors/mass-actions.ts';
import { detectTokenReuse } from './detectors/token-reuse.ts';
import { GeoIpDatabase } from './geoip.ts';
import * as store from './store.ts';
import { ThreatRecorder } from './threat-recorder.ts';
import { securityScope, ThreatService } from './threat-service.ts';
import { THRESHOLDS } from './thresholds.ts';

export type { Severity, ThreatType } from './store.ts';
export type { ThreatCounter } from './threat-recorder.ts';
export { THRESHOLDS } from './thresholds.ts';

export interface SecurityDeps {
  db: Db;
  audit: AuditService;
  access: AccessService;
  log: Logger;
  /** GEOIP_DB_PATH, loaded once (null: no country, no impossible travel). */
  geoIpPath: string | null;
}

export class SecurityServices implements SecurityListener {
  readonly threats: ThreatService;
  readonly dashboard: DashboardService;
  readonly recorder = new ThreatRecorder();
  readonly geo: GeoIpDatabase | null;
  private readonly db: Db;
  private readonly access: AccessService;

  constructor(deps: SecurityDeps) {
    this.db = deps.db;
    this.access = deps.access;
    this.threats = new ThreatService({ db: deps.db, audit: deps.audit });
    this.dashboard = new DashboardService({ db: deps.db });
    this.geo = deps.geoIpPath ? GeoIpDatabase.load(deps.geoIpPath) : null;
    if (this.geo) deps.log.info({ ranges: this.geo.size }, 'GeoIP database loaded');
  }

  // ---- identity's signals (SecurityListener) -----------------------------------------------------

  /** A failed login: recorded under the user's organization, or the platform for unknown e-mails. */
  async loginFailed(s: LoginFailureSignal): Promise<void> {
    const orgId = s.orgId ?? PLATFORM_ORG_ID;
    await this.db.transaction({ orgId, userId: null }, (tx) =>
      detectLoginFailure(tx, orgId, s, this.recorder),
    );
  }

  async tokenReused(s: TokenReuseSignal): Promise<void> {
    const orgId = s.orgId ?? PLATFORM_ORG_ID;
    await this.db.transaction({ orgId, userId: null }, (tx) => detectTokenReuse(tx, orgId, s, this.recorder));
  }

  async apiKeyUsed(s: ApiKeyUseSignal): Promise<void> {
    await this.db.transaction({ orgId: s.orgId, userId: null }, (tx) =>
      detectApiKeyNetwork(tx, s, this.recorder),
    );
  }

  // ---- domain events (worker) ---------------------------------------------------------------------

  loginSucceeded = (event: DomainEvent, ctx: EventHandlerContext) =>
    detectLoginOrigin(ctx.tx, event, this.geo, this.recorder);

  roleChanged = (event: DomainEvent, ctx: EventHandlerContext) =>
    detectRoleChange(ctx.tx, event, this.access, this.recorder);

  rolePermissionsChanged = (event: DomainEvent, ctx: EventHandlerContext) =>
    detectRolePermissions(ctx.tx, event, this.access, this.recorder);

  deleted = (event: DomainEvent, ctx: EventHandlerContext) =>
    detectMassAction(ctx.tx, event, 'delete', this.recorder);

  exported = (event: DomainEvent, ctx: EventHandlerContext) =>
    detectMassAction(ctx.tx, event, 'export', this.recorder);

  // ---- the installation's totals (the executive dashboard's global scope) -------------------------

  /**
   * Failed logins, lockouts and threats detected since `since`, and open threats, of every
   * organization and the platform together (counts only, bul_security_totals); MFA coverage of
   * every active user. Super admins only (403 here, 42501 in the database).
   */
  async totals(ctx: CallContext, since: Date) {
    const scope = securityScope(ctx, 'platform');
    return this.db.transaction(scope, async (tx) => {
      const totals = await store.installationTotals(tx, since);
      const accounts = await store.accountStats(tx);
      return {
        ...totals,
        threats: Object.values(totals.bySeverity).reduce((a, b) => a + b, 0),
        members: accounts.members,
        membersWithMfa: accounts.withMfa,
        mfaCoveragePercent:
          accounts.members === 0 ? null : Math.round((1000 * accounts.withMfa) / accounts.members) / 10,
      };
    });
  }

  /** Deletes failed logins and user actions older than the retention (the daily job). */
  async purge(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - THRESHOLDS.factRetentionMs);
    return this.db.transaction({ orgId: PLATFORM_ORG_ID, userId: null }, (tx) => store.purge(tx, before));
  }
}
