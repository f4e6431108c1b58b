// HTTP routes of notifications: sending and broadcasting, the delivery log with replay, and each
// member's inbox. Thin: parse, call the service, shape the answer. The public routes (provider
// callbacks, unsubscribe) are in public-routes.ts; channels, templates, rules and preferences in
// their own *-routes.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdParams } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { callContext, SIGNED_IN } from '../../platform/http/request-context.ts';
import {
  BatchSummary,
  BroadcastBody,
  InboxItem,
  InboxQuery,
  LogQuery,
  MarkReadBody,
  Notification,
  ReadResult,
  SendAccepted,
  SendBody,
  UnreadCount,
} from './schemas.ts';
import type { NotificationServices } from './service.ts';

const SEND = { access: requires('notifications:send') };
const MANAGE = { access: requires('notifications:manage') };
const tags = ['notifications'];

export const notificationRoutes: FastifyPluginAsyncTypebox<{ notifications: NotificationServices }> = async (
  app,
  { notifications: n },
) => {
  app.post(
    '/notifications/send',
    {
      schema: {
        operationId: 'sendNotification',
        tags,
        summary: 'Notify chosen members or client contacts',
        description:
          'One notification per recipient and channel, queued at once (202); follow them with the batch id. A recipient who cannot be reached on a channel (no address, opted out, no consent, no provider) gets a skipped notification with the reason. Honours Idempotency-Key.',
        body: SendBody,
        response: { 202: SendAccepted },
      },
      config: SEND,
    },
    async (request, reply) => reply.code(202).send(await n.send.send(callContext(request), request.body)),
  );

  app.post(
    '/notifications/broadcast',
    {
      schema: {
        operationId: 'broadcastNotification',
        tags,
        summary: 'Notify the whole organization, a role or a department',
        description:
          'Queued at once (202) in the lane of its priority: a low or normal broadcast never delays critical notifications. Honours Idempotency-Key.',
        body: BroadcastBody,
        response: { 202: BatchSummary },
      },
      config: SEND,
    },
    async (request, reply) =>
      reply.code(202).send(await n.send.broadcast(callContext(request), request.body)),
  );

  app.get(
    '/notifications/batches/:id',
    {
      schema: {
        operationId: 'getNotificationBatch',
        tags,
        summary: 'How a send or broadcast is going: its notifications per status',
        params: IdParams,
        response: { 200: BatchSummary },
      },
      config: SEND,
    },
    async (request) => n.send.batch(callContext(request), request.params.id),
  );

  app.get(
    '/notifications/deliveries',
    {
      schema: {
        operationId: 'listNotificationDeliveries',
        tags,
        summary: 'The delivery log: notifications, newest first, with filters',
        querystring: LogQuery,
        response: { 200: Page(Notification) },
      },
      config: MANAGE,
    },
    async (request) => n.send.list(callContext(request), request.query),
  );

  app.get(
    '/notifications/deliveries/:id',
    {
      schema: {
        operationId: 'getNotificationDelivery',
        tags,
        summary: 'One notification with every attempt (provider, status code, latency, error)',
        params: IdParams,
        response: { 200: Notification },
      },
      config: MANAGE,
    },
    async (request) => n.send.get(callContext(request), request.params.id),
  );

  app.post(
    '/notifications/deliveries/:id/replay',
    {
      schema: {
        operationId: 'replayNotificationDelivery',
        tags,
        summary: 'Send a dead-lettered or failed notification again (a new round of retries)',
        params: IdParams,
        response: { 200: Notification },
      },
      config: { ...MANAGE, problems: ['conflict'] },
    },
    async (request) => n.send.replay(callContext(request), request.params.id),
  );

  app.get(
    '/me/notifications',
    {
      schema: {
        operationId: 'listMyNotifications',
        tags,
        summary: 'My in-app inbox, newest first, with the unread count',
        querystring: InboxQuery,
        response: {
          200: Type.Intersect([Page(InboxItem), Type.Object({ unread: Type.Integer() })]),
        },
      },
      config: { access: SIGNED_IN },
    },
    async (request) => n.inbox.list(callContext(request), request.query),
  );

  app.get(
    '/me/notifications/unread-count',
    {
      schema: {
        operationId: 'countMyUnreadNotifications',
        tags,
        summary: 'How many of my in-app notifications are unread (the bell)',
        response: { 200: UnreadCount },
      },
      config: { access: SIGNED_IN },
    },
    async (request) => n.inbox.unreadCount(callContext(request)),
  );

  app.post(
    '/me/notifications/read',
    {
      schema: {
        operationId: 'markMyNotificationsRead',
        tags,
        summary: 'Mark some (ids) or all (all: true) of my in-app notifications read',
        body: MarkReadBody,
        response: { 200: ReadResult },
      },
      config: { access: SIGNED_IN },
    },
    async (request) =>
      n.inbox.markRead(callContext(request), request.body.all ? 'all' : (request.body.ids ?? [])),
  );
};
