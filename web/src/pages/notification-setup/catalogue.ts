// The lists the notification setup screens offer, as the API's schema names them: Records over the
// generated types, so a value added on the server fails the web build until it is listed here.
import type { AddressChannel, DeliveryChannel, Priority, ProviderKind, RuleEventType } from './types.ts';

const KINDS: Record<ProviderKind, true> = {
  email: true,
  sms: true,
  push: true,
  webhook: true,
  slack: true,
  teams: true,
  discord: true,
  whatsapp: true,
};
/** Provider kinds in the order the channels page shows them. */
export const PROVIDER_KINDS = Object.keys(KINDS) as ProviderKind[];

const CHANNELS: Record<DeliveryChannel, true> = { in_app: true, ...KINDS };
/** Delivery channels: the inbox first, then the providers' kinds. */
export const DELIVERY_CHANNELS = Object.keys(CHANNELS) as DeliveryChannel[];

const PRIORITY: Record<Priority, true> = { critical: true, high: true, normal: true, low: true };
export const PRIORITIES = Object.keys(PRIORITY) as Priority[];

const ADDRESS: Record<AddressChannel, true> = { sms: true, whatsapp: true, push: true };
export const ADDRESS_CHANNELS = Object.keys(ADDRESS) as AddressChannel[];

const EVENTS: Record<RuleEventType, true> = {
  'client.created': true,
  'client.updated': true,
  'client.deleted': true,
  'project.created': true,
  'project.updated': true,
  'project.deleted': true,
  'project.status_changed': true,
  'milestone.created': true,
  'milestone.updated': true,
  'milestone.deleted': true,
  'task.created': true,
  'task.updated': true,
  'task.deleted': true,
  'task.status_changed': true,
  'task.due_soon': true,
  'task.assigned': true,
  'comment.added': true,
  'contract.created': true,
  'contract.updated': true,
  'contract.deleted': true,
  'invoice.created': true,
  'invoice.updated': true,
  'invoice.deleted': true,
  'deal.created': true,
  'deal.updated': true,
  'deal.deleted': true,
  'member.invited': true,
  'member.joined': true,
  'member.removed': true,
  'role.changed': true,
  'security.login_failed': true,
  'security.locked_out': true,
  'security.mfa_changed': true,
  'webhook.endpoint_disabled': true,
  'security.login_succeeded': true,
  'security.new_login_location': true,
  'security.threat_detected': true,
  'role.permissions_changed': true,
  'alert.fired': true,
  'alert.acknowledged': true,
  'alert.resolved': true,
  'data.exported': true,
  'backup.completed': true,
  'backup.failed': true,
  'backup.restored': true,
  'backup.verified': true,
};
/** The event types a rule may name. */
export const RULE_EVENT_TYPES = Object.keys(EVENTS) as RuleEventType[];

/** Kinds that post to a URL in their settings: a test needs no address. */
export const ADDRESSLESS_KINDS: readonly ProviderKind[] = ['webhook', 'slack', 'teams', 'discord'];
/** Channels whose messages have no subject (SMS and WhatsApp send the body only). */
export const NO_SUBJECT: readonly DeliveryChannel[] = ['sms', 'whatsapp'];

/** A settings or credential field of a provider kind, as its form shows it. */
export interface ProviderField {
  /** The field's path under `config` or `secrets` (`from.address` nests). */
  name: string;
  type: 'text' | 'number' | 'boolean' | 'multiline';
  required?: boolean;
  placeholder?: string;
}

/** Each kind's non-secret settings (the server's channels/*.ts configSchema). */
export const CONFIG_FIELDS: Record<ProviderKind, ProviderField[]> = {
  email: [
    { name: 'host', type: 'text', required: true, placeholder: 'smtp.example.com' },
    { name: 'port', type: 'number', required: true, placeholder: '587' },
    { name: 'secure', type: 'boolean' },
    { name: 'requireTLS', type: 'boolean' },
    { name: 'from.address', type: 'text', required: true, placeholder: 'notifications@example.com' },
    { name: 'from.name', type: 'text', placeholder: 'BUL' },
    { name: 'replyTo', type: 'text' },
    { name: 'allowInsecureTls', type: 'boolean' },
  ],
  sms: [
    { name: 'accountSid', type: 'text', required: true, placeholder: 'AC…' },
    { name: 'from', type: 'text', placeholder: '+14155550123' },
    { name: 'messagingServiceSid', type: 'text', placeholder: 'MG…' },
    { name: 'baseUrl', type: 'text', placeholder: 'https://api.twilio.com' },
  ],
  push: [
    { name: 'baseUrl', type: 'text', placeholder: 'https://fcm.googleapis.com' },
    { name: 'tokenUrl', type: 'text' },
  ],
  webhook: [{ name: 'url', type: 'text', required: true, placeholder: 'https://hooks.example.com/bul' }],
  slack: [],
  teams: [],
  discord: [{ name: 'username', type: 'text' }],
  whatsapp: [
    { name: 'phoneNumberId', type: 'text', required: true },
    { name: 'apiVersion', type: 'text', placeholder: 'v21.0' },
    { name: 'baseUrl', type: 'text', placeholder: 'https://graph.facebook.com' },
  ],
};

/** Each kind's credentials (write-only: the API says which are set, never their values). */
export const SECRET_FIELDS: Record<ProviderKind, ProviderField[]> = {
  email: [
    { name: 'user', type: 'text' },
    { name: 'password', type: 'text' },
  ],
  sms: [{ name: 'authToken', type: 'text', required: true }],
  push: [{ name: 'serviceAccountJson', type: 'multiline', required: true }],
  webhook: [{ name: 'secret', type: 'text', required: true, placeholder: 'whsec_…' }],
  slack: [{ name: 'url', type: 'text', required: true, placeholder: 'https://hooks.slack.com/services/…' }],
  teams: [{ name: 'url', type: 'text', required: true }],
  discord: [{ name: 'url', type: 'text', required: true, placeholder: 'https://discord.com/api/webhooks/…' }],
  whatsapp: [
    { name: 'accessToken', type: 'text', required: true },
    { name: 'appSecret', type: 'text', required: true },
    { name: 'verifyToken', type: 'text', required: true },
  ],
};
