// Which cached queries a domain event makes stale. Kept apart from the React hooks (queries.ts)
// so it depends on nothing but TanStack's query core, and is tested without a browser
// (test/web-queries.test.ts). The realtime connection (realtime.ts) marks stale the keys of the
// events it receives (batched); so may anything else that learns of a change.
import type { QueryClient, QueryKey } from '@tanstack/query-core';

/** The collections the web app caches: the first element of every query key. */
export type Resource =
  | 'organization'
  | 'members'
  | 'notification-setup'
  | 'invitations'
  | 'roles'
  | 'departments'
  | 'api-keys'
  | 'ip-rules'
  | 'plan'
  | 'clients'
  | 'contacts'
  | 'projects'
  | 'milestones'
  | 'expenses'
  | 'tasks'
  | 'comments'
  | 'contracts'
  | 'invoices'
  | 'payments'
  | 'deals'
  | 'feedback'
  | 'analytics'
  | 'audit'
  | 'security'
  | 'webhooks'
  | 'notifications'
  | 'monitoring'
  | 'alerts'
  | 'backups';

/** A domain event as `/ws` delivers it: `{ id, type: 'task.updated', payload: { id, projectId } }`. */
export interface DomainEventMessage {
  id: string;
  type: string;
  payload?: { id?: string; projectId?: string; [k: string]: unknown } | null;
}

/**
 * What an event's subject (the part of its type before the dot) makes stale. A task change also
 * moves its project's progress and the dashboards; a payment changes its invoice; a role change or
 * a security event (MFA on or off) changes how members are listed.
 */
const STALE_BY_SUBJECT: Record<string, readonly Resource[]> = {
  client: ['clients', 'analytics'],
  contact: ['contacts'],
  project: ['projects', 'analytics'],
  milestone: ['milestones', 'projects'],
  expense: ['expenses', 'projects', 'analytics'],
  task: ['tasks', 'projects', 'analytics'],
  comment: ['comments'],
  contract: ['contracts', 'analytics'],
  invoice: ['invoices', 'analytics'],
  payment: ['payments', 'invoices', 'analytics'],
  deal: ['deals', 'analytics'],
  feedback: ['feedback', 'analytics'],
  member: ['members', 'invitations', 'plan', 'analytics'],
  invitation: ['invitations'],
  role: ['roles', 'members'],
  department: ['departments', 'members'],
  security: ['members', 'security'],
  organization: ['organization'],
  webhook: ['webhooks'],
  // Personal: only its recipient receives notification.created (their bell and inbox).
  notification: ['notifications'],
  // Alerts fire, are acknowledged and resolve: the alert list, the rules (cooldown, silence) and
  // the executive page's counts.
  alert: ['alerts', 'analytics'],
  // A backup completed, failed, was verified or restored: its lists, health and the executive figures.
  backup: ['backups', 'analytics'],
};

/**
 * The query keys a domain event makes stale, most precise first. An event of a subject this table
 * does not know makes nothing stale (a new event type cannot break the app; add it here to show it).
 */
export function keysForEvent(event: DomainEventMessage): QueryKey[] {
  const subject = event.type.split('.')[0] ?? '';
  const resources = STALE_BY_SUBJECT[subject];
  if (!resources) return [];
  return resources.map((r) => [r]);
}

/**
 * Marks stale, and refetches where shown, every query a realtime message concerns (by key prefix:
 * `['tasks']` covers every task listing and record). Returns the keys it invalidated.
 */
export async function invalidateForEvent(
  client: QueryClient,
  event: DomainEventMessage,
): Promise<QueryKey[]> {
  const keys = keysForEvent(event);
  await Promise.all(keys.map((queryKey) => client.invalidateQueries({ queryKey })));
  return keys;
}
