// When an open edit form is out of date: the pure rule behind useStaleNotice, tested without a
// browser (test/web-realtime-protocol.test.ts).
import type { RealtimeEvent } from '../api/realtimeProtocol.ts';

/** The records an edit form may be open on: an event's subject (the part of its type before the dot). */
export type StaleSubject = 'task' | 'project' | 'client' | 'milestone' | 'contract' | 'invoice' | 'deal';

/**
 * What an event may have done to the record `subject`/`id`: deleted it, changed it (an update, a
 * status change, another assignee: any event of the record's own but its creation), or nothing.
 */
export function eventTouches(
  event: RealtimeEvent,
  subject: StaleSubject,
  id: string,
): 'changed' | 'deleted' | null {
  const dot = event.type.indexOf('.');
  if (event.type.slice(0, dot) !== subject || event.payload?.id !== id) return null;
  const action = event.type.slice(dot + 1);
  if (action === 'deleted') return 'deleted';
  return action === 'created' ? null : 'changed';
}

/**
 * Whether the stored record is newer than the one the form edits: every change raises a record's
 * version, and a form's own save moves its version to the saved one, so a newer stored version
 * means a change this form did not make (another user, an API client, another tab or control).
 */
export function storedIsNewer(stored: { version: number }, edited: { version: number }): boolean {
  return stored.version > edited.version;
}
