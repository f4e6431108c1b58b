// HTTP routes of notification channels (the organization's providers): thin — parse, call the
// service, shape the answer. Credentials go in, never out.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import {
  ChannelTestResult,
  CreateChannelBody,
  NotificationChannel,
  TestChannelBody,
  UpdateChannelBody,
} from './channel-schemas.ts';
import type { ChannelService } from './channel-service.ts';

const MANAGE = { access: requires('notifications:manage') };
const tags = ['notifications'];

export const notificationChannelRoutes: FastifyPluginAsyncTypebox<{ channels: ChannelService }> = async (
  app,
  { channels },
) => {
  app.get(
    '/notifications/channels',
    {
      schema: {
        operationId: 'listNotificationChannels',
        tags,
        summary: "The organization's notification channels (providers), by kind in failover order",
        description: 'Credentials are never answered: `secretFields` names the ones that are set.',
        response: { 200: Type.Object({ items: Type.Array(NotificationChannel) }) },
      },
      config: MANAGE,
    },
    async (request) => channels.list(callContext(request)),
  );

  app.post(
    '/notifications/channels',
    {
      schema: {
        operationId: 'createNotificationChannel',
        tags,
        summary: 'Set up a provider for a channel kind (settings and credentials checked at once)',
        description:
          '`config` and `secrets` are checked against the kind’s schema (errors name `config.<field>` and `secrets.<field>`); URLs BUL will call must resolve to public addresses unless the installation sets WEBHOOK_ALLOW_PRIVATE. Credentials are sealed and never answered. Without `position` the provider goes last among its kind; with one, those from there on move down.',
        body: CreateChannelBody,
        response: { 201: NotificationChannel },
      },
      config: { ...MANAGE, problems: ['conflict'] },
    },
    async (request, reply) => reply.code(201).send(await channels.create(callContext(request), request.body)),
  );

  app.get(
    '/notifications/channels/:id',
    {
      schema: {
        operationId: 'getNotificationChannel',
        tags,
        summary: 'A notification channel (without its credentials)',
        params: IdParams,
        response: { 200: NotificationChannel },
      },
      config: MANAGE,
    },
    async (request) => channels.get(callContext(request), request.params.id),
  );

  app.patch(
    '/notifications/channels/:id',
    {
      schema: {
        operationId: 'updateNotificationChannel',
        headers: IfMatchHeaders,
        tags,
        summary: 'Change a notification channel (honours If-Match)',
        description:
          '`config` replaces the settings. Credentials: absent, they are kept; `secrets` replaces them all; `secretsPatch` changes only the fields it names (null removes one). `position` moves it in its kind’s failover order.',
        params: IdParams,
        body: UpdateChannelBody,
        response: { 200: NotificationChannel },
      },
      config: { ...MANAGE, problems: ['conflict'] },
    },
    async (request) =>
      channels.update(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/notifications/channels/:id',
    {
      schema: {
        operationId: 'deleteNotificationChannel',
        headers: IfMatchHeaders,
        tags,
        summary: 'Remove a notification channel (the providers after it move up)',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: MANAGE,
    },
    async (request, reply) => {
      await channels.delete(callContext(request), request.params.id, ifMatchVersion(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/notifications/channels/:id/test',
    {
      schema: {
        operationId: 'testNotificationChannel',
        tags,
        summary: 'Send a test message through this channel only, now, and say how it went',
        description:
          'Renders the built-in test message for the caller and sends it synchronously through this provider (even when disabled), without failover or retries. Answers 200 whatever the provider said: `ok`, `outcome` and the provider’s status and error codes tell. The test is in the delivery log (source `test`) with its attempt.',
        params: IdParams,
        body: TestChannelBody,
        response: { 200: ChannelTestResult },
      },
      config: { ...MANAGE, problems: ['conflict'] },
      // The body is optional (no address for most kinds): none is `{}`.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => channels.test(callContext(request), request.params.id, request.body),
  );
};
