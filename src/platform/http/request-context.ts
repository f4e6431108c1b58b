// What every request carries once it is authenticated, and what each route declares it needs.
// Routes state their access in `config.access`; one chain of hooks enforces it (see app.ts).
import type { FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../errors.ts';
import { HTTP } from './messages.ts';

export type PrincipalKind = 'jwt' | 'session' | 'api_key';

export interface OrgSnapshot {
  id: string;
  name: string;
  subdomain: string;
  status: 'active' | 'suspended';
  requireMfa: boolean;
  planId: string;
  maxApiRequestsPerMonth: number | null;
  apiRequestsThisMonth: number;
  ipRules: { cidr: string; action: 'allow' | 'deny' }[];
}

export interface Principal {
  kind: PrincipalKind;
  userId: string;
  email: string;
  name: string;
  locale: string | null;
  isSuperAdmin: boolean;
  mfaEnabled: boolean;
  sessionId: string | null;
  apiKeyId: string | null;
  /** The organization the request acts for (null: none chosen, e.g. a user without memberships). */
  org: OrgSnapshot | null;
  membership: {
    id: string;
    status: 'active' | 'suspended';
    roleId: string;
    roleKey: string | null;
    roleName: string;
    departmentId: string | null;
  } | null;
  permissions: ReadonlySet<string>;
}

export type RouteAccess =
  | { public: true }
  | { authenticated: true; duringMfaEnrollment?: boolean }
  | { permission: string; duringMfaEnrollment?: boolean };

export interface RequestMeta {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

/** What a service receives about who calls it and from where. */
export interface CallContext {
  principal: Principal;
  meta: RequestMeta;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** Stricter per-IP limit for credential-guessing targets (login, MFA, sign-up, invitations). */
    rateLimitClass?: 'login';
    /**
     * Error types the route's service answers beyond those its declaration implies (access,
     * parameters, body, If-Match, writes): the OpenAPI document lists them with the rest.
     */
    problems?: readonly ErrorCode[];
  }
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: ua ? ua.slice(0, 500) : null, requestId: String(request.id) };
}

export function routeAccess(request: FastifyRequest): RouteAccess | undefined {
  return request.routeOptions.config?.access;
}

export const isPublicRoute = (access: RouteAccess | undefined): boolean => !access || 'public' in access;

/** The caller of an authenticated route, as services want it. */
export function callContext(request: FastifyRequest): CallContext {
  if (!request.principal) throw new AppError('unauthenticated', HTTP.authenticationRequired());
  return { principal: request.principal, meta: requestMeta(request) };
}

export const PUBLIC: RouteAccess = { public: true };
export const SIGNED_IN: RouteAccess = { authenticated: true };

export interface TenantScope {
  orgId: string;
  userId: string;
}

/** The organization and user a call acts for; 403 when the caller has not chosen an organization. */
export function tenantScope(ctx: CallContext): TenantScope {
  const orgId = ctx.principal.org?.id;
  if (!orgId) throw new AppError('forbidden', HTTP.noOrganization());
  return { orgId, userId: ctx.principal.userId };
}
