// The notification screens' resources, read off the generated API contract.
import type { BodyOf, Ok } from '../../api/types.ts';

export type Notification = Ok<'/api/v1/notifications/deliveries'>['items'][number];
export type NotificationStatus = Notification['status'];
export type NotificationAttempt = NonNullable<Notification['attempts']>[number];
export type Channel = BodyOf<'/api/v1/notifications/send', 'post'>['channels'][number];
export type Priority = NonNullable<BodyOf<'/api/v1/notifications/send', 'post'>['priority']>;

export const STATUSES: readonly NotificationStatus[] = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'skipped',
  'dead',
];
export const CHANNELS: readonly Channel[] = [
  'in_app',
  'email',
  'sms',
  'push',
  'webhook',
  'slack',
  'teams',
  'discord',
  'whatsapp',
];
export const PRIORITIES: readonly Priority[] = ['critical', 'high', 'normal', 'low'];

export const STATUS_COLORS: Record<NotificationStatus, string> = {
  queued: 'gray',
  sending: 'blue',
  sent: 'teal',
  delivered: 'green',
  read: 'green',
  failed: 'red',
  skipped: 'yellow',
  dead: 'red',
};

/** Statuses a notification can be replayed from (the API answers 409 for the others). */
export const REPLAYABLE: readonly NotificationStatus[] = ['dead', 'failed'];
