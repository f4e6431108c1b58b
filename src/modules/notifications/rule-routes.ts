// HTTP routes of notification rules: thin — parse, call the service, shape the answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { CreateRuleBody, NotificationRule, NotificationRuleList, UpdateRuleBody } from './rule-schemas.ts';
import type { RuleService } from './rule-service.ts';

const MANAGE = { access: requires('notifications:manage') };
const tags = ['notifications'];

export const notificationRuleRoutes: FastifyPluginAsyncTypebox<{ rules: RuleService }> = async (
  app,
  { rules },
) => {
  app.get(
    '/notifications/rules',
    {
      schema: {
        operationId: 'listNotificationRules',
        tags,
        summary: 'The notification rules of the organization (the built-in ones included)',
        response: { 200: NotificationRuleList },
      },
      config: MANAGE,
    },
    async (request) => rules.list(callContext(request)),
  );

  app.post(
    '/notifications/rules',
    {
      schema: {
        operationId: 'createNotificationRule',
        tags,
        summary: 'Add a rule: an event type notifies these recipients on these channels',
        description:
          'Recipients naming a role, a department or members must exist in the organization (the error names the field, e.g. `recipients.1.roleId`).',
        body: CreateRuleBody,
        response: { 201: NotificationRule },
      },
      config: MANAGE,
    },
    async (request, reply) => reply.code(201).send(await rules.create(callContext(request), request.body)),
  );

  app.get(
    '/notifications/rules/:id',
    {
      schema: {
        operationId: 'getNotificationRule',
        tags,
        summary: 'A notification rule',
        params: IdParams,
        response: { 200: NotificationRule },
      },
      config: MANAGE,
    },
    async (request) => rules.get(callContext(request), request.params.id),
  );

  app.patch(
    '/notifications/rules/:id',
    {
      schema: {
        operationId: 'updateNotificationRule',
        headers: IfMatchHeaders,
        tags,
        summary: 'Change a rule, built-in ones included (honours If-Match); `enabled: false` turns it off',
        params: IdParams,
        body: UpdateRuleBody,
        response: { 200: NotificationRule },
      },
      config: MANAGE,
    },
    async (request) =>
      rules.update(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/notifications/rules/:id',
    {
      schema: {
        operationId: 'deleteNotificationRule',
        tags,
        summary: "Delete one of the organization's own rules (a built-in one can only be disabled: 409)",
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { ...MANAGE, problems: ['conflict'] },
    },
    async (request, reply) => {
      await rules.delete(callContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
