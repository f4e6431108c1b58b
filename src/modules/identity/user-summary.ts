// How a user appears in login answers and as an actor of audit events.
import type { AuditActor } from '../audit/service.ts';

export const userActor = (u: { id: string; email: string }): AuditActor => ({
  type: 'user',
  id: u.id,
  label: u.email,
});

export function userSummary(u: {
  id: string;
  email: string;
  name: string;
  locale?: string | null;
  is_super_admin: boolean;
  mfa_enabled: boolean;
}) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    locale: u.locale ?? null,
    isSuperAdmin: u.is_super_admin,
    mfaEnabled: u.mfa_enabled,
  };
}
