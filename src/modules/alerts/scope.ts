// Which tenant context an alerts call acts in: the caller's organization, or the platform's nil
// organization for platform-wide rules and alerts (super admins only).
import { PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import { AppError } from '../../platform/errors.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { ALERTS } from './messages.ts';

export interface AlertScope {
  orgId: string;
  userId: string;
  platform: boolean;
}

export function alertScope(ctx: CallContext, scope: 'organization' | 'platform' | undefined): AlertScope {
  if (scope !== 'platform') return { ...tenantScope(ctx), platform: false };
  if (!ctx.principal.isSuperAdmin) throw new AppError('forbidden', ALERTS.platformOnly());
  return { orgId: PLATFORM_ORG_ID, userId: ctx.principal.userId, platform: true };
}

export const scopeName = (orgId: string): 'organization' | 'platform' =>
  orgId === PLATFORM_ORG_ID ? 'platform' : 'organization';
