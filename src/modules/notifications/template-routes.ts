// HTTP routes of notification templates: thin — parse, call the service, shape the answer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams } from '../../platform/http/common-schemas.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import {
  BuiltinTemplate,
  BuiltinTemplateQuery,
  NotificationTemplate,
  NotificationTemplateWithVersions,
  PreviewTemplateBody,
  PublishTemplateBody,
  SavedTemplateVersion,
  SaveTemplateVersionBody,
  TemplateList,
  TemplateListQuery,
  TemplatePreview,
  TemplateVariables,
  VariablesQuery,
} from './template-schemas.ts';
import type { TemplateService } from './template-service.ts';

const MANAGE = { access: requires('notifications:manage') };
const tags = ['notifications'];

export const notificationTemplateRoutes: FastifyPluginAsyncTypebox<{ templates: TemplateService }> = async (
  app,
  { templates },
) => {
  app.get(
    '/notifications/templates',
    {
      schema: {
        operationId: 'listNotificationTemplates',
        tags,
        summary: "The organization's templates, and the built-in ones it has not made its own",
        querystring: TemplateListQuery,
        response: { 200: TemplateList },
      },
      config: MANAGE,
    },
    async (request) => templates.list(callContext(request), request.query),
  );

  app.post(
    '/notifications/templates/versions',
    {
      schema: {
        operationId: 'saveNotificationTemplateVersion',
        tags,
        summary: 'Save a new version of a template (event × channel × language), published or not',
        description:
          'Versions are immutable and numbered 1, 2, 3… per template; the template is made on its first save. A template that does not parse or render with the sample data is refused: one error per problem, naming the field (`subject`, `body`, `whatsappTemplate.parameters.0`…) with its line and column.',
        body: SaveTemplateVersionBody,
        response: { 201: SavedTemplateVersion },
      },
      config: MANAGE,
    },
    async (request, reply) =>
      reply.code(201).send(await templates.saveVersion(callContext(request), request.body)),
  );

  app.post(
    '/notifications/templates/preview',
    {
      schema: {
        operationId: 'previewNotificationTemplate',
        tags,
        summary: 'Render a template with the sample data of its event (and the variables given)',
        body: PreviewTemplateBody,
        response: { 200: TemplatePreview },
      },
      config: MANAGE,
    },
    async (request) => templates.preview(request.body),
  );

  app.get(
    '/notifications/templates/builtin',
    {
      schema: {
        operationId: 'getBuiltinNotificationTemplate',
        tags,
        summary: "BUL's own text of a template (sent until a version is published; where editing starts)",
        querystring: BuiltinTemplateQuery,
        response: { 200: BuiltinTemplate },
      },
      config: MANAGE,
    },
    async (request) => templates.builtin(request.query),
  );

  app.get(
    '/notifications/templates/variables',
    {
      schema: {
        operationId: 'listNotificationTemplateVariables',
        tags,
        summary: 'The variables a template of an event may use, with sample values',
        querystring: VariablesQuery,
        response: { 200: TemplateVariables },
      },
      config: MANAGE,
    },
    async (request) => templates.variables(request.query.eventType),
  );

  app.get(
    '/notifications/templates/:id',
    {
      schema: {
        operationId: 'getNotificationTemplate',
        tags,
        summary: 'A template with all its versions, newest first',
        params: IdParams,
        response: { 200: NotificationTemplateWithVersions },
      },
      config: MANAGE,
    },
    async (request) => templates.get(callContext(request), request.params.id),
  );

  app.post(
    '/notifications/templates/:id/publish',
    {
      schema: {
        operationId: 'publishNotificationTemplate',
        headers: IfMatchHeaders,
        tags,
        summary: 'Send this version from now on (an older one rolls back; honours If-Match)',
        params: IdParams,
        body: PublishTemplateBody,
        response: { 200: NotificationTemplate },
      },
      config: MANAGE,
    },
    async (request) =>
      templates.publish(
        callContext(request),
        request.params.id,
        request.body.version,
        ifMatchVersion(request),
      ),
  );

  app.post(
    '/notifications/templates/:id/unpublish',
    {
      schema: {
        operationId: 'unpublishNotificationTemplate',
        headers: IfMatchHeaders,
        tags,
        summary: 'Send the built-in template again (no version published; honours If-Match)',
        params: IdParams,
        response: { 200: NotificationTemplate },
      },
      config: MANAGE,
    },
    async (request) => templates.unpublish(callContext(request), request.params.id, ifMatchVersion(request)),
  );
};
