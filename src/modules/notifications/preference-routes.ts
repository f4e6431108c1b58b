// HTTP routes of a member's own notification settings (any signed-in member, for themselves):
// preferences, time zone and quiet hours, phone numbers and push devices. Thin: parse, call the
// service, shape the answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { callContext, SIGNED_IN } from '../../platform/http/request-context.ts';
import {
  CreateAddressBody,
  MyPreferences,
  MySettings,
  NotificationAddress,
  NotificationAddressList,
  PutPreferencesBody,
} from './preference-schemas.ts';
import type { PreferenceService } from './preference-service.ts';

const ME = { access: SIGNED_IN };
const tags = ['notifications'];

export const notificationPreferenceRoutes: FastifyPluginAsyncTypebox<{
  preferences: PreferenceService;
}> = async (app, { preferences: p }) => {
  app.get(
    '/me/notifications/preferences',
    {
      schema: {
        operationId: 'getMyNotificationPreferences',
        tags,
        summary: 'My choices of event types × channels, and what the organization notifies about',
        response: { 200: MyPreferences },
      },
      config: ME,
    },
    async (request) => p.preferences(callContext(request)),
  );

  app.put(
    '/me/notifications/preferences',
    {
      schema: {
        operationId: 'replaceMyNotificationPreferences',
        tags,
        summary: 'Replace my whole set of choices (an empty list: everything on)',
        body: PutPreferencesBody,
        response: { 200: MyPreferences },
      },
      config: ME,
    },
    async (request) => p.replacePreferences(callContext(request), request.body.items),
  );

  app.get(
    '/me/notifications/settings',
    {
      schema: {
        operationId: 'getMyNotificationSettings',
        tags,
        summary: 'My time zone and quiet hours',
        response: { 200: MySettings },
      },
      config: ME,
    },
    async (request) => p.settings(callContext(request)),
  );

  app.put(
    '/me/notifications/settings',
    {
      schema: {
        operationId: 'replaceMyNotificationSettings',
        tags,
        summary: 'Set my time zone and quiet hours',
        description:
          'Quiet hours are local wall-clock times in my time zone (the organization’s when null); notifications other than in-app ones wait until they end, unless critical.',
        body: MySettings,
        response: { 200: MySettings },
      },
      config: ME,
    },
    async (request) => p.replaceSettings(callContext(request), request.body),
  );

  app.get(
    '/me/notifications/addresses',
    {
      schema: {
        operationId: 'listMyNotificationAddresses',
        tags,
        summary: 'My phone numbers (SMS, WhatsApp) and push devices',
        response: { 200: NotificationAddressList },
      },
      config: ME,
    },
    async (request) => p.addresses(callContext(request)),
  );

  app.post(
    '/me/notifications/addresses',
    {
      schema: {
        operationId: 'addMyNotificationAddress',
        tags,
        summary: 'Add a phone number or a push device (the same one again updates its label)',
        body: CreateAddressBody,
        response: { 201: NotificationAddress },
      },
      config: ME,
    },
    async (request, reply) => reply.code(201).send(await p.addAddress(callContext(request), request.body)),
  );

  app.delete(
    '/me/notifications/addresses/:id',
    {
      schema: {
        operationId: 'deleteMyNotificationAddress',
        tags,
        summary: 'Remove one of my phone numbers or push devices',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: ME,
    },
    async (request, reply) => {
      await p.deleteAddress(callContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
