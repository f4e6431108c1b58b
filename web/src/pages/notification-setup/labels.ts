// Names of the notification catalogues' values in the UI's language (channels, providers' fields,
// priorities, recipients), for keys the type checker cannot follow through a template string.
import type { TFunction } from 'i18next';
import type { ProviderField } from './catalogue.ts';

/** A delivery channel or provider kind: "E-mail", "In-app", "Slack"… */
export const channelName = (t: TFunction, channel: string) =>
  t(`notificationSetup.channel.${channel}` as 'notificationSetup.channel.email', { defaultValue: channel });

/** A provider setting or credential field ("SMTP host", "Auth token"…). */
export const fieldLabel = (t: TFunction, field: ProviderField) =>
  t(`notificationSetup.field.${field.name.replace('.', '_')}` as 'notificationSetup.field.host', {
    defaultValue: field.name,
  });

export const priorityName = (t: TFunction, priority: string) =>
  t(`notificationSetup.priority.${priority}` as 'notificationSetup.priority.normal', {
    defaultValue: priority,
  });

export const recipientKindName = (t: TFunction, kind: string) =>
  t(`notificationSetup.rules.recipientKind.${kind}` as 'notificationSetup.rules.recipientKind.role', {
    defaultValue: kind,
  });

/** A share as a percentage in the UI's language, or a dash when there is none. */
export const rate = (percent: (r: number) => string, value: number | null | undefined) =>
  value === null || value === undefined ? '—' : percent(value);
