// HTTP routes of satisfaction feedback.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { CreateFeedbackBody, Feedback, FeedbackListQuery, UpdateFeedbackBody } from './feedback-schemas.ts';
import type { BusinessService } from './service.ts';

const RULES =
  'score 1–5; about a client, a project or both (at least one), each of this organization (400 naming clientId or projectId).';

export const feedbackRoutes: FastifyPluginAsyncTypebox<{ business: BusinessService }> = async (
  app,
  { business },
) => {
  const feedback = business.feedback;

  app.get(
    '/feedback',
    {
      schema: {
        tags: ['feedback'],
        summary: 'Satisfaction feedback, filtered and sorted',
        querystring: FeedbackListQuery,
        response: { 200: Page(Feedback) },
      },
      config: { access: requires('business:read') },
    },
    async (request) => feedback.list(callContext(request), request.query),
  );

  app.post(
    '/feedback',
    {
      schema: {
        tags: ['feedback'],
        summary: 'Record feedback',
        description: `${RULES} receivedOn defaults to today in the organization's time zone.`,
        body: CreateFeedbackBody,
        response: { 201: Feedback },
      },
      config: { access: requires('business:manage') },
    },
    async (request, reply) => reply.code(201).send(await feedback.create(callContext(request), request.body)),
  );

  app.get(
    '/feedback/:id',
    {
      schema: {
        tags: ['feedback'],
        summary: 'One feedback entry',
        params: IdParams,
        response: { 200: Feedback },
      },
      config: { access: requires('business:read') },
    },
    async (request, reply) => {
      const entry = await feedback.get(callContext(request), request.params.id);
      reply.header('etag', `"${entry.version}"`);
      return entry;
    },
  );

  app.patch(
    '/feedback/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['feedback'],
        summary: 'Change feedback (honours If-Match)',
        description: RULES,
        params: IdParams,
        body: UpdateFeedbackBody,
        response: { 200: Feedback },
      },
      config: { access: requires('business:manage') },
    },
    async (request) =>
      feedback.update(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/feedback/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['feedback'],
        summary: 'Delete feedback (honours If-Match)',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('business:manage') },
    },
    async (request, reply) => {
      await feedback.delete(callContext(request), request.params.id, ifMatchVersion(request));
      return reply.code(204).send(null);
    },
  );
};
