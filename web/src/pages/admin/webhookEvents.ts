// The event types an endpoint may subscribe to, as the API's schema lists them: a Record over the
// generated type, so a type added on the server fails the web build until it is listed here.
import type { WebhookEventType } from './types.ts';

const ALL: Record<WebhookEventType, true> = {
  'client.created': true,
  'client.updated': true,
  'client.deleted': true,
  'project.created': true,
  'project.updated': true,
  'project.deleted': true,
  'task.created': true,
  'task.updated': true,
  'task.deleted': true,
  'milestone.created': true,
  'milestone.updated': true,
  'milestone.deleted': true,
  'contract.created': true,
  'contract.updated': true,
  'contract.deleted': true,
  'invoice.created': true,
  'invoice.updated': true,
  'invoice.deleted': true,
  'deal.created': true,
  'deal.updated': true,
  'deal.deleted': true,
  'project.status_changed': true,
  'task.status_changed': true,
  'task.assigned': true,
  'task.due_soon': true,
  'comment.added': true,
  'member.invited': true,
  'member.joined': true,
  'member.removed': true,
  'role.changed': true,
  'security.login_failed': true,
  'security.locked_out': true,
  'security.mfa_changed': true,
};

export const WEBHOOK_EVENT_TYPES = Object.keys(ALL) as WebhookEventType[];
