// The notification setup screens' resources, read off the generated API contract.
import type { BodyOf, Ok } from '../../api/types.ts';

export type NotificationChannel = Ok<'/api/v1/notifications/channels'>['items'][number];
export type ProviderKind = NotificationChannel['kind'];
export type ChannelTestResult = Ok<'/api/v1/notifications/channels/{id}/test', 'post'>;
export type TemplateListItem = Ok<'/api/v1/notifications/templates'>['items'][number];
export type TemplateWithVersions = Ok<'/api/v1/notifications/templates/{id}'>;
export type TemplateVersion = TemplateWithVersions['versions'][number];
export type DeliveryChannel = TemplateListItem['channel'];
export type TemplateLanguage = TemplateListItem['language'];
export type TemplatePreview = Ok<'/api/v1/notifications/templates/preview', 'post'>;
export type TemplateVariable = Ok<'/api/v1/notifications/templates/variables'>['items'][number];
export type WhatsappTemplate = NonNullable<TemplateVersion['whatsappTemplate']>;
export type NotificationRule = Ok<'/api/v1/notifications/rules'>['items'][number];
export type RuleBody = BodyOf<'/api/v1/notifications/rules', 'post'>;
export type RecipientSpec = RuleBody['recipients'][number];
export type RuleEventType = RuleBody['eventType'];
export type Priority = NonNullable<RuleBody['priority']>;
export type MyPreferences = Ok<'/api/v1/me/notifications/preferences'>;
export type Preference = MyPreferences['items'][number];
export type MySettings = Ok<'/api/v1/me/notifications/settings'>;
export type NotificationAddress = Ok<'/api/v1/me/notifications/addresses'>['items'][number];
export type AddressChannel = NotificationAddress['channel'];
export type NotificationAnalytics = Ok<'/api/v1/notifications/analytics'>;
export type PermissionInfo = Ok<'/api/v1/permissions'>['permissions'][number];
