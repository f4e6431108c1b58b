// TOTP multi-factor authentication: enrolment (a sealed pending secret, confirmed by a first
// code), one-time recovery codes, turning it off, and the code checks of the login's second step.
// A code's time step is spent under the user's row lock, so no code works twice.
import { randomBytes } from 'node:crypto';
import { verifyPassword } from '../../platform/crypto/passwords.ts';
import { digestToken } from '../../platform/crypto/tokens.ts';
import { newTotpSecret, totpUri, verifyTotp } from '../../platform/crypto/totp.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import type { CallContext, RequestMeta } from '../../platform/http/request-context.ts';
import type { AuditActor } from '../audit/service.ts';
import type { IdentityDeps } from './deps.ts';
import { IDENTITY } from './messages.ts';
import * as store from './store.ts';
import { userActor } from './user-summary.ts';

const RECOVERY_CODE_COUNT = 10;

function newRecoveryCodes(): string[] {
  // 10 characters of base32 (50 bits) in two groups: easy to type, useless to guess under lockout.
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10);
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

const normaliseRecoveryCode = (code: string) => code.trim().toLowerCase().replace(/\s+/g, '');

export class MfaService {
  private readonly deps: IdentityDeps;

  constructor(deps: IdentityDeps) {
    this.deps = deps;
  }

  // ---- the login's second step ----------------------------------------------------------------

  /** Checks a TOTP code and spends its time step under the user's row lock: concurrent requests with one code queue, and only the first finds the step unused. */
  async spendLoginCode(userId: string, code: string): Promise<boolean> {
    const step = await this.deps.db.transaction({ orgId: null, userId }, async (tx) => {
      const locked = await store.lockUser(tx, userId);
      if (!locked?.mfa_enabled || !locked.mfa_secret_sealed) return null;
      const secret = this.deps.box.open(locked.mfa_secret_sealed, `totp:${userId}`).toString();
      const matched = await verifyTotp({ secret, code, afterTimeStep: locked.mfa_last_time_step });
      if (matched !== null) await store.updateUser(tx, userId, { mfa_last_time_step: matched });
      return matched;
    });
    return step !== null;
  }

  /** Spends a recovery code; false when it is wrong or already used. */
  spendRecoveryCode(userId: string, code: string): Promise<boolean> {
    return this.deps.db.transaction({ orgId: null, userId }, (tx) =>
      store.spendRecoveryCode(tx, userId, digestToken(normaliseRecoveryCode(code))),
    );
  }

  /** Enrolment at login (the organization requires MFA): a new pending secret, refused once MFA is on. */
  async startEnrollment(userId: string) {
    return this.deps.db.transaction({ orgId: null, userId }, async (tx) => {
      const user = await store.lockUser(tx, userId);
      if (!user) throw new AppError('invalid-token', IDENTITY.accountUnavailable());
      if (user.mfa_enabled) throw new AppError('invalid-token', IDENTITY.mfaAlreadyEnabledSignIn());
      return this.newPendingSecret(tx, user);
    });
  }

  /** Enrolment at login: the first code of the pending secret turns MFA on; the recovery codes, or null for a wrong code. */
  async completeEnrollment(
    user: store.UserRow,
    code: string,
    orgId: string | null,
    meta: RequestMeta,
  ): Promise<string[] | null> {
    if (!user.mfa_pending_secret_sealed) {
      throw invalidField('code', 'required', IDENTITY.setupFirst());
    }
    const secret = this.deps.box.open(user.mfa_pending_secret_sealed, `totp:${user.id}`).toString();
    const step = await verifyTotp({ secret, code });
    if (step === null) return null;
    return this.enableMfa(user.id, user.mfa_pending_secret_sealed, step, userActor(user), orgId, meta);
  }

  // ---- enrolment and recovery codes of the signed-in user --------------------------------------

  async setup(ctx: CallContext) {
    const p = ctx.principal;
    return this.deps.db.transaction({ orgId: null, userId: p.userId }, async (tx) => {
      const user = await store.lockUser(tx, p.userId);
      if (!user) throw notFound('user');
      if (user.mfa_enabled) throw new AppError('conflict', IDENTITY.mfaAlreadyEnabledDisableFirst());
      return this.newPendingSecret(tx, user);
    });
  }

  async enable(ctx: CallContext, code: string): Promise<string[]> {
    const p = ctx.principal;
    const user = await this.deps.db.transaction({ orgId: null, userId: p.userId }, (tx) =>
      store.getUser(tx, p.userId),
    );
    if (!user) throw notFound('user');
    if (user.mfa_enabled) throw new AppError('conflict', IDENTITY.mfaAlreadyEnabled());
    if (!user.mfa_pending_secret_sealed) throw new AppError('conflict', IDENTITY.mfaSetupFirst());
    const secret = this.deps.box.open(user.mfa_pending_secret_sealed, `totp:${user.id}`).toString();
    const step = await verifyTotp({ secret, code });
    if (step === null) {
      await this.deps.lockout.recordFailure(user.email, ctx.meta.ip);
      throw new AppError('invalid-mfa-code', IDENTITY.codeMismatch());
    }
    return this.enableMfa(
      user.id,
      user.mfa_pending_secret_sealed,
      step,
      userActor(user),
      p.org?.id ?? null,
      ctx.meta,
    );
  }

  /** Proves possession of the second factor with a TOTP or a recovery code (spent if used). */
  private async assertSecondFactor(
    tx: Sql,
    user: store.UserRow,
    code: string | undefined,
    recoveryCode: string | undefined,
    meta: RequestMeta,
  ): Promise<void> {
    if (!user.mfa_enabled || !user.mfa_secret_sealed)
      throw new AppError('conflict', IDENTITY.mfaNotEnabled());
    let ok = false;
    if (code) {
      const step = await verifyTotp({
        secret: this.deps.box.open(user.mfa_secret_sealed, `totp:${user.id}`).toString(),
        code,
        afterTimeStep: user.mfa_last_time_step,
      });
      if (step !== null) {
        await store.updateUser(tx, user.id, { mfa_last_time_step: step });
        ok = true;
      }
    } else if (recoveryCode) {
      ok = await store.spendRecoveryCode(tx, user.id, digestToken(normaliseRecoveryCode(recoveryCode)));
    } else {
      throw invalidField('code', 'required', IDENTITY.sendCode());
    }
    if (!ok) {
      await this.deps.lockout.recordFailure(user.email, meta.ip);
      throw new AppError('invalid-mfa-code', IDENTITY.wrongCode());
    }
  }

  async disable(
    ctx: CallContext,
    body: { password: string; code?: string; recoveryCode?: string },
  ): Promise<void> {
    const p = ctx.principal;
    await this.deps.lockout.assertNotLocked(p.email, ctx.meta.ip);
    const orgs = await this.deps.tenancy.organizations.myOrganizations(p);
    const requiring = orgs.filter((o) => o.requireMfa).map((o) => o.name);
    if (requiring.length > 0)
      throw new AppError('conflict', IDENTITY.mfaRequiredBy({ organizations: { list: requiring } }));
    await this.deps.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      const user = await store.lockUser(tx, p.userId);
      if (!user) throw notFound('user');
      if (!(await verifyPassword(user.password_hash, body.password))) {
        await this.deps.lockout.recordFailure(user.email, ctx.meta.ip);
        throw new AppError('invalid-credentials', IDENTITY.wrongPassword());
      }
      await this.assertSecondFactor(tx, user, body.code, body.recoveryCode, ctx.meta);
      await store.updateUser(tx, user.id, {
        mfa_enabled: false,
        mfa_secret_sealed: null,
        mfa_pending_secret_sealed: null,
        mfa_last_time_step: null,
      });
      await store.deleteRecoveryCodes(tx, user.id);
      await this.deps.audit.record(tx, {
        orgId: p.org?.id ?? null,
        actor: userActor(user),
        action: 'auth.mfa_disable',
        resourceType: 'user',
        resourceId: user.id,
        events: [{ type: 'security.mfa_changed', payload: { id: user.id, enabled: false } }],
        meta: ctx.meta,
      });
    });
  }

  async regenerateRecoveryCodes(ctx: CallContext, code: string): Promise<string[]> {
    const p = ctx.principal;
    await this.deps.lockout.assertNotLocked(p.email, ctx.meta.ip);
    const codes = newRecoveryCodes();
    await this.deps.db.transaction({ orgId: p.org?.id ?? null, userId: p.userId }, async (tx) => {
      const user = await store.lockUser(tx, p.userId);
      if (!user) throw notFound('user');
      await this.assertSecondFactor(tx, user, code, undefined, ctx.meta);
      await store.replaceRecoveryCodes(
        tx,
        user.id,
        codes.map((c) => ({ id: newId(), hash: digestToken(normaliseRecoveryCode(c)) })),
      );
      await this.deps.audit.record(tx, {
        orgId: p.org?.id ?? null,
        actor: userActor(user),
        action: 'auth.mfa_recovery_codes',
        resourceType: 'user',
        resourceId: user.id,
        meta: ctx.meta,
      });
    });
    return codes;
  }

  private async newPendingSecret(tx: Sql, user: store.UserRow) {
    const secret = newTotpSecret();
    await store.updateUser(tx, user.id, {
      mfa_pending_secret_sealed: this.deps.box.seal(secret, `totp:${user.id}`),
    });
    return {
      secret,
      otpauthUrl: totpUri({ secret, issuer: this.deps.config.mfaIssuer, account: user.email }),
    };
  }

  private async enableMfa(
    userId: string,
    sealedSecret: string,
    step: number,
    actor: AuditActor,
    orgId: string | null,
    meta: RequestMeta,
  ): Promise<string[]> {
    const codes = newRecoveryCodes();
    await this.deps.db.transaction({ orgId: orgId, userId }, async (tx) => {
      await store.updateUser(tx, userId, {
        mfa_enabled: true,
        mfa_secret_sealed: sealedSecret,
        mfa_pending_secret_sealed: null,
        mfa_last_time_step: step,
      });
      await store.replaceRecoveryCodes(
        tx,
        userId,
        codes.map((c) => ({ id: newId(), hash: digestToken(normaliseRecoveryCode(c)) })),
      );
      await this.deps.audit.record(tx, {
        orgId,
        actor,
        action: 'auth.mfa_enable',
        resourceType: 'user',
        resourceId: userId,
        events: [{ type: 'security.mfa_changed', payload: { id: userId, enabled: true } }],
        meta,
      });
    });
    return codes;
  }
}
