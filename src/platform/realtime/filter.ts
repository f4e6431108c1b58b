// Who receives which event over /ws: the subscriber's permissions (checked at delivery, with the
// permissions they hold now) and, when a connection has subscribed, its subscriptions.
import { type DomainEvent, EVENT_CATALOGUE, EVENT_TYPES, isEventType } from '../events/catalogue.ts';

/** What the filter needs to know about a connection's principal. */
export interface Reader {
  userId: string;
  kind: 'jwt' | 'session' | 'api_key';
  permissions: ReadonlySet<string>;
}

/** The subjects events are about: the part of an event type before its dot (`task`, `project`...). */
export const EVENT_SUBJECTS: readonly string[] = [...new Set(EVENT_TYPES.map((t) => t.split('.')[0]!))];

/** Whether the reader may see the event: the permission that reads its resource, or it is about them. */
export function mayRead(reader: Reader, event: Pick<DomainEvent, 'type' | 'payload'>): boolean {
  if (!isEventType(event.type)) return false;
  const entry = EVENT_CATALOGUE[event.type];
  if (entry.personal) return event.payload.userId === reader.userId;
  if (reader.permissions.has(entry.read)) return true;
  // An API key acts with its scopes only: its owner's own events reach the owner's sessions.
  return entry.self && reader.kind !== 'api_key' && event.payload.id === reader.userId;
}

export interface Subscription {
  id: string;
  /** A subject (`project`); with `resourceId`, one resource and what belongs to it. */
  resource: string | null;
  resourceId: string | null;
  /** Event types or `subject.*` patterns; null: any. */
  events: readonly string[] | null;
}

function typeMatches(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

/**
 * Whether an event falls under a subscription. A resource with an id covers the resource's own
 * events (`project.updated` with that `id`) and those of what belongs to it (a task's events carry
 * `projectId`, a comment's `taskId`, an invoice's `clientId`).
 */
export function subscriptionMatches(
  sub: Subscription,
  event: Pick<DomainEvent, 'type' | 'payload'>,
): boolean {
  if (sub.events && !typeMatches(sub.events, event.type)) return false;
  if (!sub.resource) return true;
  const subject = event.type.split('.', 1)[0];
  const owner = event.payload[`${sub.resource}Id`];
  if (sub.resourceId === null) return subject === sub.resource || typeof owner === 'string';
  return (subject === sub.resource && event.payload.id === sub.resourceId) || owner === sub.resourceId;
}

/** Whether a pattern of a subscription's `events` names a catalogued type or subject. */
export function knownEventPattern(pattern: string): boolean {
  if (pattern.endsWith('.*')) return EVENT_SUBJECTS.includes(pattern.slice(0, -2));
  return isEventType(pattern);
}
