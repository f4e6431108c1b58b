// The admin area's resources, read off the generated API contract.
import type { BodyOf, Ok } from '../../api/types.ts';

export type Member = Ok<'/api/v1/members'>['items'][number];
export type MemberStatus = Member['status'];
export type Invitation = Ok<'/api/v1/invitations'>['items'][number];
export type CreatedInvitation = Ok<'/api/v1/invitations', 'post'>;
export type Role = Ok<'/api/v1/roles'>['items'][number];
export type PermissionCatalogue = Ok<'/api/v1/permissions'>;
export type PermissionInfo = PermissionCatalogue['permissions'][number];
export type Department = Ok<'/api/v1/departments'>['items'][number];
export type IpRule = Ok<'/api/v1/ip-rules'>['items'][number];
export type ApiKey = Ok<'/api/v1/api-keys'>['items'][number];
export type CreatedApiKey = Ok<'/api/v1/api-keys', 'post'>;
export type Usage = Ok<'/api/v1/organization/usage'>;
export type Plan = Ok<'/api/v1/plans'>['items'][number];
export type Organization = Ok<'/api/v1/organization'>;
export type WebhookEndpoint = Ok<'/api/v1/webhooks/endpoints'>['items'][number];
export type CreatedWebhookEndpoint = Ok<'/api/v1/webhooks/endpoints', 'post'>;
export type WebhookDelivery = Ok<'/api/v1/webhooks/endpoints/{id}/deliveries'>['items'][number];
export type WebhookEventType = BodyOf<'/api/v1/webhooks/endpoints', 'post'>['events'][number];
