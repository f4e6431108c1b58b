// Notification rows as the API answers them.
import type * as store from './store.ts';

export interface NotificationAttemptDto {
  attempt: number;
  channelId: string | null;
  provider: string;
  startedAt: string;
  latencyMs: number;
  outcome: store.AttemptRow['outcome'];
  statusCode: number | null;
  errorCode: string | null;
  error: string | null;
  providerMessageId: string | null;
}

export interface NotificationDto {
  id: string;
  source: store.NotificationRow['source'];
  batchId: string | null;
  eventId: string | null;
  eventType: string;
  ruleId: string | null;
  recipientUserId: string | null;
  recipientContactId: string | null;
  recipientName: string | null;
  address: string | null;
  channel: string;
  priority: string;
  language: string;
  subject: string | null;
  body: string;
  status: store.NotificationStatus;
  skipReason: string | null;
  attemptCount: number;
  nextAttemptAt: string | null;
  heldUntil: string | null;
  providerMessageId: string | null;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
  attempts?: NotificationAttemptDto[];
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function attemptDto(a: store.AttemptRow): NotificationAttemptDto {
  return {
    attempt: a.attempt,
    channelId: a.channel_id,
    provider: a.provider,
    startedAt: a.started_at.toISOString(),
    latencyMs: a.latency_ms,
    outcome: a.outcome,
    statusCode: a.status_code,
    errorCode: a.error_code,
    error: a.error,
    providerMessageId: a.provider_message_id,
  };
}

export function notificationDto(n: store.NotificationRow, attempts?: store.AttemptRow[]): NotificationDto {
  return {
    id: n.id,
    source: n.source,
    batchId: n.batch_id,
    eventId: n.event_id,
    eventType: n.event_type,
    ruleId: n.rule_id,
    recipientUserId: n.recipient_user_id,
    recipientContactId: n.recipient_contact_id,
    recipientName: n.recipient_name,
    address: n.address,
    channel: n.channel,
    priority: n.priority,
    language: n.language,
    subject: n.subject,
    body: n.body,
    status: n.status,
    skipReason: n.skip_reason,
    attemptCount: n.attempts,
    nextAttemptAt: iso(n.next_attempt_at),
    heldUntil: iso(n.held_until),
    providerMessageId: n.provider_message_id,
    lastError: n.last_error,
    lastStatusCode: n.last_status_code,
    createdAt: n.created_at.toISOString(),
    sentAt: iso(n.sent_at),
    deliveredAt: iso(n.delivered_at),
    readAt: iso(n.read_at),
    failedAt: iso(n.failed_at),
    ...(attempts ? { attempts: attempts.filter((a) => a.notification_id === n.id).map(attemptDto) } : {}),
  };
}

/** An in-app notification as its recipient's inbox shows it. */
export interface InboxItemDto {
  id: string;
  eventType: string;
  priority: string;
  subject: string | null;
  body: string;
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

export function inboxItemDto(n: store.NotificationRow): InboxItemDto {
  const link = (n.data as { link?: unknown }).link;
  return {
    id: n.id,
    eventType: n.event_type,
    priority: n.priority,
    subject: n.subject,
    body: n.body,
    link: typeof link === 'string' ? link : null,
    createdAt: n.created_at.toISOString(),
    readAt: iso(n.read_at),
  };
}
