// Turns a request's credentials into a Principal: a Bearer JWT (its session must still be live),
// a Bearer API key, or the browser session cookie (with its CSRF token on writes). One database
// round trip gathers the user, membership, role, organization, plan usage and IP rules.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import { digestToken, safeEqual } from '../../platform/crypto/tokens.ts';
import { isUuid } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, fieldError } from '../../platform/errors.ts';
import type { OrgSnapshot, Principal, PrincipalKind } from '../../platform/http/request-context.ts';
import type { Msg } from '../../platform/i18n/message.ts';
import { effectivePermissions } from '../access/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { API_KEY_PREFIX } from './api-key-service.ts';
import { IDENTITY } from './messages.ts';
import type { SecuritySignals } from './security-signals.ts';
import type { SigningKeyRing } from './signing-keys.ts';
import * as store from './store.ts';

export const SESSION_COOKIE = 'bul_session';
export const CSRF_COOKIE = 'bul_csrf';
const TOUCH_EVERY_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface AuthPayload {
  user: {
    id: string;
    email: string;
    name: string;
    status: string;
    isSuperAdmin: boolean;
    mfaEnabled: boolean;
    locale: string | null;
  } | null;
  org: OrgSnapshot | null;
  membership: {
    id: string;
    status: 'active' | 'suspended';
    departmentId: string | null;
    roleId: string;
    roleKey: string | null;
    roleName: string;
    permissions: string[];
  } | null;
  session?: {
    id: string;
    kind: 'cookie' | 'token';
    orgId: string | null;
    expiresAt: string;
    lastSeenAt: string;
    revoked: boolean;
    csrfHash: string | null;
  };
  apiKey?: {
    id: string;
    orgId: string;
    name: string;
    scopes: string[];
    expiresAt: string | null;
    revoked: boolean;
  };
}

const unauthenticated = (detail: Msg) => new AppError('unauthenticated', detail);

export class Authenticator {
  private readonly db: Db;
  private readonly config: Config;
  private readonly keys: SigningKeyRing;
  private readonly tenancy: TenancyService;
  private readonly lastTouch = new Map<string, number>();
  private readonly onError: (err: unknown) => void;
  private readonly signals: SecuritySignals | null;
  /** When each (API key, address) was last reported to threat detection. */
  private readonly lastKeyAddress = new Map<string, number>();

  constructor(deps: {
    db: Db;
    config: Config;
    keys: SigningKeyRing;
    tenancy: TenancyService;
    onError: (err: unknown) => void;
    signals?: SecuritySignals;
  }) {
    this.db = deps.db;
    this.config = deps.config;
    this.keys = deps.keys;
    this.tenancy = deps.tenancy;
    this.onError = deps.onError;
    this.signals = deps.signals ?? null;
  }

  /** The organization the request names: X-Organization-ID, else the host's subdomain under BASE_DOMAIN. */
  async requestedOrg(request: FastifyRequest): Promise<string | null> {
    const header = request.headers['x-organization-id'];
    if (typeof header === 'string' && header !== '') {
      if (!isUuid(header)) {
        throw new AppError('validation-failed', IDENTITY.organizationHeader(), {
          errors: [fieldError('x-organization-id', 'format', IDENTITY.mustBeUuid(), 'headers')],
        });
      }
      return header.toLowerCase();
    }
    const sub = this.hostSubdomain(request);
    if (!sub) return null;
    const id = await this.tenancy.organizations.resolveSubdomain(sub);
    if (!id)
      throw new AppError(
        'not-found',
        IDENTITY.noOrganizationAt({ host: `${sub}.${this.config.baseDomain}` }),
      );
    return id;
  }

  hostSubdomain(request: FastifyRequest): string | null {
    const base = this.config.baseDomain;
    if (!base) return null;
    const host = (request.hostname || '').toLowerCase().replace(/:\d+$/, '');
    if (!host.endsWith(`.${base}`)) return null;
    const sub = host.slice(0, -base.length - 1);
    return /^[a-z0-9-]+$/.test(sub) ? sub : null;
  }

  /**
   * The principal behind the request's credentials; null when it sent none. Throws 401/403 for bad
   * ones. `touch: false`: a check that is not the user's activity (an open /ws connection checked
   * again), so it does not keep an idle session alive.
   */
  async authenticate(request: FastifyRequest, opts: { touch?: boolean } = {}): Promise<Principal | null> {
    const authorization = request.headers.authorization;
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (!authorization && !cookie) return null;
    const orgId = await this.requestedOrg(request);

    if (authorization) {
      const m = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!m) throw unauthenticated(IDENTITY.bearerFormat());
      const token = m[1]!;
      if (token.startsWith(`${API_KEY_PREFIX}_`))
        return this.fromApiKey(token, orgId, request.ip, opts.touch !== false);
      return this.fromJwt(token, orgId);
    }
    return this.fromCookie(cookie!, orgId, request, opts.touch !== false);
  }

  private async fromJwt(token: string, orgId: string | null): Promise<Principal> {
    const claims = await this.keys.verify(token, 'bul-api');
    if (!claims || typeof claims.sid !== 'string' || !isUuid(claims.sid))
      throw new AppError('invalid-token', IDENTITY.accessTokenInvalid());
    const wanted = orgId ?? (typeof claims.org === 'string' ? claims.org : null);
    const payload = (await store.authBySession(
      this.db.pool,
      claims.sid,
      claims.sub,
      wanted,
    )) as AuthPayload | null;
    const s = payload?.session;
    if (!payload || !s || s.revoked || Date.parse(s.expiresAt) <= Date.now())
      throw new AppError('invalid-token', IDENTITY.tokenSessionEnded());
    return this.principal('jwt', payload, wanted, null);
  }

  private async fromCookie(
    cookie: string,
    orgId: string | null,
    request: FastifyRequest,
    touch: boolean,
  ): Promise<Principal> {
    const payload = (await store.authByCookie(
      this.db.pool,
      digestToken(cookie),
      orgId,
    )) as AuthPayload | null;
    const s = payload?.session;
    const idleSince = Date.now() - this.config.sessionIdleTimeout * 1000;
    if (
      !payload ||
      !s ||
      s.kind !== 'cookie' ||
      s.revoked ||
      Date.parse(s.expiresAt) <= Date.now() ||
      Date.parse(s.lastSeenAt) < idleSince
    ) {
      throw unauthenticated(IDENTITY.sessionEnded());
    }
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !s.csrfHash || !safeEqual(digestToken(sent), s.csrfHash)) {
        throw new AppError('csrf-failed', IDENTITY.csrf());
      }
    }
    const principal = this.principal('session', payload, orgId ?? s.orgId, null);
    if (touch) this.touchSession(s.id, principal.userId, Date.parse(s.lastSeenAt));
    return principal;
  }

  private async fromApiKey(
    token: string,
    orgId: string | null,
    ip: string,
    touch: boolean,
  ): Promise<Principal> {
    const payload = (await store.authByApiKey(this.db.pool, digestToken(token))) as AuthPayload | null;
    const k = payload?.apiKey;
    if (!payload || !k || k.revoked || (k.expiresAt && Date.parse(k.expiresAt) <= Date.now())) {
      throw new AppError('invalid-token', IDENTITY.apiKeyInvalid());
    }
    if (orgId && orgId !== k.orgId) throw new AppError('forbidden', IDENTITY.apiKeyOtherOrganization());
    const last = this.lastTouch.get(k.id) ?? 0;
    if (touch && Date.now() - last > TOUCH_EVERY_MS) {
      this.lastTouch.set(k.id, Date.now());
      store.touchApiKey(this.db.pool, k.id, ip).catch(this.onError);
    }
    if (touch && this.signals && payload.user) this.reportKeyAddress(k, payload.user.id, ip);
    return this.principal('api_key', payload, k.orgId, k);
  }

  /** Threat detection hears of each address a key is used from, once a minute per process. */
  private reportKeyAddress(k: { id: string; orgId: string }, userId: string, ip: string): void {
    const key = `${k.id} ${ip}`;
    const now = Date.now();
    if (now - (this.lastKeyAddress.get(key) ?? 0) < TOUCH_EVERY_MS) return;
    if (this.lastKeyAddress.size > 100_000) this.lastKeyAddress.clear();
    this.lastKeyAddress.set(key, now);
    this.signals?.apiKeyUsed({ orgId: k.orgId, apiKeyId: k.id, userId, ip, at: new Date(now) });
  }

  private touchSession(id: string, userId: string, lastSeen: number): void {
    const now = Date.now();
    if (now - lastSeen < TOUCH_EVERY_MS || now - (this.lastTouch.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    if (this.lastTouch.size > 100_000) this.lastTouch.clear();
    this.lastTouch.set(id, now);
    // Off the request path; the session row belongs to the user, so act for them.
    void this.db.transaction({ orgId: null, userId }, (tx) => store.touchSession(tx, id)).catch(this.onError);
  }

  private principal(
    kind: PrincipalKind,
    p: AuthPayload,
    orgId: string | null,
    apiKey: AuthPayload['apiKey'] | null,
  ): Principal {
    const u = p.user;
    if (!u) throw unauthenticated(IDENTITY.accountGone());
    if (u.status !== 'active') throw new AppError('account-disabled', IDENTITY.accountDisabled());
    if (orgId && !p.org) throw new AppError('not-found', IDENTITY.noSuchOrganization());
    if (p.org && !p.membership && !u.isSuperAdmin)
      throw new AppError('forbidden', IDENTITY.notMemberOfOrganization());
    const membershipActive = p.membership?.status === 'active';
    return {
      kind,
      userId: u.id,
      email: u.email,
      name: u.name,
      locale: u.locale,
      isSuperAdmin: u.isSuperAdmin && kind !== 'api_key',
      mfaEnabled: u.mfaEnabled,
      sessionId: p.session?.id ?? null,
      apiKeyId: apiKey?.id ?? null,
      org: p.org,
      membership: p.membership
        ? {
            id: p.membership.id,
            status: p.membership.status,
            roleId: p.membership.roleId,
            roleKey: p.membership.roleKey,
            roleName: p.membership.roleName,
            departmentId: p.membership.departmentId,
          }
        : null,
      permissions: effectivePermissions({
        isSuperAdmin: u.isSuperAdmin && kind !== 'api_key',
        role: p.membership ? { key: p.membership.roleKey, permissions: p.membership.permissions } : null,
        membershipActive,
        apiKeyScopes: apiKey ? apiKey.scopes : null,
      }),
    };
  }
}
