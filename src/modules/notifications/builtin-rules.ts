// The rules every organization starts with (installed when the organization is first seen by the
// notifications module, and on upgrade: a rule an organization has changed or disabled keeps its
// changes, since rows are only inserted when their built-in key is missing).
import { DELIVERY_CHANNELS, type DeliveryChannel, type Priority } from './channels/provider.ts';
import type { RecipientSpec } from './store.ts';

export interface BuiltinRule {
  key: string;
  name: string;
  eventType: string;
  recipients: RecipientSpec[];
  channels: DeliveryChannel[];
  priority: Priority;
  notifyActor: boolean;
}

export const BUILTIN_RULES: readonly BuiltinRule[] = [
  {
    key: 'task_assigned',
    name: 'Task assigned to me',
    eventType: 'task.assigned',
    recipients: [{ kind: 'assignee' }],
    channels: ['in_app', 'email'],
    priority: 'normal',
    notifyActor: false,
  },
  {
    key: 'task_due_soon',
    name: 'My task is due tomorrow',
    eventType: 'task.due_soon',
    recipients: [{ kind: 'assignee' }],
    channels: ['in_app', 'email'],
    priority: 'normal',
    notifyActor: true,
  },
  {
    key: 'project_status_changed',
    name: 'My project changed status (or was completed)',
    eventType: 'project.status_changed',
    recipients: [{ kind: 'project_owner' }],
    channels: ['in_app', 'email'],
    priority: 'normal',
    notifyActor: false,
  },
  {
    key: 'comment_on_watched_task',
    name: 'A comment on a task I watch or am assigned to',
    eventType: 'comment.added',
    recipients: [{ kind: 'watchers' }, { kind: 'assignee' }],
    channels: ['in_app', 'email'],
    priority: 'normal',
    notifyActor: false,
  },
  {
    key: 'security_locked_out',
    name: 'My sign-in was locked after failed attempts',
    eventType: 'security.locked_out',
    recipients: [{ kind: 'subject_user' }],
    channels: ['in_app', 'email'],
    priority: 'critical',
    notifyActor: true,
  },
  {
    key: 'security_mfa_changed',
    name: 'Two-factor authentication turned on or off on my account',
    eventType: 'security.mfa_changed',
    recipients: [{ kind: 'subject_user' }],
    channels: ['in_app', 'email'],
    priority: 'high',
    notifyActor: true,
  },
  {
    key: 'webhook_endpoint_disabled',
    name: 'A webhook endpoint was disabled for failing',
    eventType: 'webhook.endpoint_disabled',
    recipients: [{ kind: 'permission', permission: 'webhooks:manage' }],
    channels: ['in_app', 'email'],
    priority: 'high',
    notifyActor: true,
  },
  {
    key: 'security_new_login_location',
    name: 'A sign-in to my account from a new network, country or device',
    eventType: 'security.new_login_location',
    recipients: [{ kind: 'subject_user' }],
    channels: ['in_app', 'email'],
    priority: 'high',
    notifyActor: true,
  },
  // Alerts (alerts module): whom and where the alert rule says (the event carries them), on any
  // channel the rule names; the priority follows the alert's severity (event-notifier.ts).
  {
    key: 'alert_fired',
    name: 'An alert fired (recipients and channels of the alert rule)',
    eventType: 'alert.fired',
    recipients: [{ kind: 'event_recipients' }],
    channels: [...DELIVERY_CHANNELS],
    priority: 'high',
    notifyActor: true,
  },
  {
    key: 'alert_resolved',
    name: 'An alert resolved (recipients and channels of the alert rule)',
    eventType: 'alert.resolved',
    recipients: [{ kind: 'event_recipients' }],
    channels: [...DELIVERY_CHANNELS],
    priority: 'normal',
    notifyActor: true,
  },
  // Backups (backups module): a backup that failed on its last attempt, to the super admins
  // (a platform event: event-notifier.ts sends it to each in their home organization).
  {
    key: 'backup_failed',
    name: 'A backup failed (super admins)',
    eventType: 'backup.failed',
    recipients: [{ kind: 'event_recipients' }],
    channels: ['in_app', 'email'],
    priority: 'critical',
    notifyActor: true,
  },
];
