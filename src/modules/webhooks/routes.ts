// HTTP routes of outbound webhooks: thin — parse, call the service, shape the answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import {
  CreatedWebhookEndpoint,
  CreateWebhookEndpointBody,
  DeliveryListQuery,
  UpdateWebhookEndpointBody,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookListQuery,
  WebhookSecret,
} from './schemas.ts';
import type { WebhookService } from './service.ts';

const MANAGE = { access: requires('webhooks:manage') };
const tags = ['webhooks'];

export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: WebhookService }> = async (
  app,
  { webhooks },
) => {
  app.get(
    '/webhooks/endpoints',
    {
      schema: {
        operationId: 'listWebhookEndpoints',
        tags,
        summary: 'Webhook endpoints of the organization',
        querystring: WebhookListQuery,
        response: { 200: Page(WebhookEndpoint) },
      },
      config: MANAGE,
    },
    async (request) => webhooks.listEndpoints(callContext(request), request.query),
  );

  app.post(
    '/webhooks/endpoints',
    {
      schema: {
        operationId: 'createWebhookEndpoint',
        tags,
        summary: 'Register a webhook endpoint (the signing secret is in this answer only)',
        description:
          'BUL POSTs each subscribed event as `{ type, timestamp, data }`, signed per the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature`), and retries failures for about a day.',
        body: CreateWebhookEndpointBody,
        response: { 201: CreatedWebhookEndpoint },
      },
      config: MANAGE,
    },
    async (request, reply) =>
      reply.code(201).send(await webhooks.createEndpoint(callContext(request), request.body)),
  );

  app.get(
    '/webhooks/endpoints/:id',
    {
      schema: {
        operationId: 'getWebhookEndpoint',
        tags,
        summary: 'A webhook endpoint',
        params: IdParams,
        response: { 200: WebhookEndpoint },
      },
      config: MANAGE,
    },
    async (request) => webhooks.getEndpoint(callContext(request), request.params.id),
  );

  app.patch(
    '/webhooks/endpoints/:id',
    {
      schema: {
        operationId: 'updateWebhookEndpoint',
        headers: IfMatchHeaders,
        tags,
        summary: 'Change a webhook endpoint (URL, events, description, enabled; honours If-Match)',
        params: IdParams,
        body: UpdateWebhookEndpointBody,
        response: { 200: WebhookEndpoint },
      },
      config: MANAGE,
    },
    async (request) =>
      webhooks.updateEndpoint(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/webhooks/endpoints/:id',
    {
      schema: {
        operationId: 'deleteWebhookEndpoint',
        tags,
        summary: 'Delete a webhook endpoint and its delivery log',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: MANAGE,
    },
    async (request, reply) => {
      await webhooks.deleteEndpoint(callContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/webhooks/endpoints/:id/rotate-secret',
    {
      schema: {
        operationId: 'rotateWebhookSecret',
        tags,
        summary: 'Replace the signing secret (the new one is in this answer only)',
        params: IdParams,
        response: { 200: WebhookSecret },
      },
      config: MANAGE,
    },
    async (request) => webhooks.rotateSecret(callContext(request), request.params.id),
  );

  app.get(
    '/webhooks/endpoints/:id/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: 'Deliveries to an endpoint, newest first, each with its attempts',
        params: IdParams,
        querystring: DeliveryListQuery,
        response: { 200: Page(WebhookDelivery) },
      },
      config: MANAGE,
    },
    async (request) => webhooks.listDeliveries(callContext(request), request.params.id, request.query),
  );

  app.get(
    '/webhooks/deliveries/:id',
    {
      schema: {
        operationId: 'getWebhookDelivery',
        tags,
        summary: 'A delivery with its attempts and their whole response excerpts',
        params: IdParams,
        response: { 200: WebhookDelivery },
      },
      config: MANAGE,
    },
    async (request) => webhooks.getDelivery(callContext(request), request.params.id),
  );

  app.post(
    '/webhooks/deliveries/:id/resend',
    {
      schema: {
        operationId: 'resendWebhookDelivery',
        tags,
        summary: 'Send a delivery again now (a new round of retries)',
        params: IdParams,
        response: { 202: WebhookDelivery },
      },
      config: { ...MANAGE, problems: ['conflict'] },
    },
    async (request, reply) =>
      reply.code(202).send(await webhooks.resend(callContext(request), request.params.id)),
  );
};
