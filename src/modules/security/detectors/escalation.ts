// Permission escalation: a member moved to a role with permissions their previous role lacked
// (`role.changed`), or a custom role that gained permissions (`role.permissions_changed`). High
// when the new role is the organization admin or a gained permission hands out or takes over
// access (thresholds.ts, SENSITIVE_PERMISSIONS); medium otherwise. Losing permissions is no threat.
import type { Sql } from '../../../platform/db/transaction.ts';
import type { DomainEvent } from '../../../platform/module.ts';
import { type AccessService, roleToDto } from '../../access/service.ts';
import type { ThreatRecorder } from '../threat-recorder.ts';
import { SENSITIVE_PERMISSIONS } from '../thresholds.ts';

const severityOf = (gained: string[], admin: boolean) =>
  admin || gained.some((p) => SENSITIVE_PERMISSIONS.includes(p)) ? ('high' as const) : ('medium' as const);

export async function detectRoleChange(
  tx: Sql,
  event: DomainEvent,
  access: AccessService,
  threats: ThreatRecorder,
): Promise<void> {
  const p = event.payload as { id: string; roleId: string; previousRoleId: string };
  // One after the other: a transaction's client runs one query at a time.
  const role = await access.roleInTx(tx, p.roleId);
  const previous = await access.roleInTx(tx, p.previousRoleId);
  if (!role) return;
  const had = new Set(previous ? roleToDto(previous).permissions : []);
  const now = roleToDto(role);
  const gained = now.permissions.filter((x) => !had.has(x));
  if (gained.length === 0) return;
  const admin = role.key === 'org_admin';
  await threats.raise(tx, event.orgId, {
    type: 'permission_escalation',
    severity: severityOf(gained, admin),
    key: `role:${p.id}:${p.roleId}`,
    userId: p.id,
    at: new Date(event.occurredAt),
    evidence: {
      kind: 'member_role',
      role: { id: role.id, name: role.name, key: role.key },
      previousRole: previous ? { id: previous.id, name: previous.name, key: previous.key } : null,
      gained,
      changedBy: event.actor.id,
    },
  });
}

export async function detectRolePermissions(
  tx: Sql,
  event: DomainEvent,
  access: AccessService,
  threats: ThreatRecorder,
): Promise<void> {
  const p = event.payload as { id: string; added: string[]; removed: string[] };
  if (p.added.length === 0) return;
  const role = await access.roleInTx(tx, p.id);
  await threats.raise(tx, event.orgId, {
    type: 'permission_escalation',
    severity: severityOf(p.added, false),
    key: `role-permissions:${p.id}:${[...p.added].sort().join(',')}`,
    userId: event.actor.type === 'user' ? event.actor.id : null,
    at: new Date(event.occurredAt),
    evidence: {
      kind: 'custom_role',
      role: role ? { id: role.id, name: role.name, members: role.members ?? null } : { id: p.id },
      gained: p.added,
      changedBy: event.actor.id,
    },
  });
}
