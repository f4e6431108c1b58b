// Mass delete and mass export by one user: N in M minutes (thresholds.ts). Deletions come from the
// `*.deleted` domain events, exports from `data.exported`; each is recorded per user and counted
// over the window; crossing the count raises one threat per user and window (deduplicated).
import type { Sql } from '../../../platform/db/transaction.ts';
import type { DomainEvent } from '../../../platform/module.ts';
import * as store from '../store.ts';
import type { ThreatRecorder } from '../threat-recorder.ts';
import { THRESHOLDS } from '../thresholds.ts';

export const DELETE_EVENTS = [
  'client.deleted',
  'project.deleted',
  'milestone.deleted',
  'task.deleted',
  'contract.deleted',
  'invoice.deleted',
  'deal.deleted',
] as const;

export async function detectMassAction(
  tx: Sql,
  event: DomainEvent,
  kind: 'delete' | 'export',
  threats: ThreatRecorder,
): Promise<void> {
  if (event.actor.type === 'system' || !event.actor.id) return;
  const actorId = event.actor.id;
  const at = new Date(event.occurredAt);
  const windowMs = kind === 'delete' ? THRESHOLDS.massDeleteWindowMs : THRESHOLDS.massExportWindowMs;
  const limit = kind === 'delete' ? THRESHOLDS.massDeleteCount : THRESHOLDS.massExportCount;
  // An export names what it exported in its payload (`data.exported`); a deletion in its type.
  const exported = (event.payload as { resource?: unknown }).resource;
  const resourceType =
    kind === 'export' && typeof exported === 'string' ? exported : event.type.split('.')[0]!;
  const count = await store.noteUserAction(tx, {
    id: event.id,
    userId: actorId,
    kind,
    resourceType,
    at,
    since: new Date(at.getTime() - windowMs),
  });
  if (count < limit) return;
  await threats.raise(tx, event.orgId, {
    type: kind === 'delete' ? 'mass_delete' : 'mass_export',
    severity: 'high',
    key: `mass-${kind}:${actorId}`,
    userId: event.actor.type === 'user' ? actorId : null,
    at,
    evidence: {
      count,
      windowMinutes: windowMs / 60_000,
      last: { type: event.type, id: (event.payload as { id?: string }).id ?? null },
      actor: event.actor,
    },
  });
}
