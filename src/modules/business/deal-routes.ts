// HTTP routes of deals and the pipeline summary.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { CreateDealBody, Deal, DealListQuery, Pipeline, UpdateDealBody } from './deal-schemas.ts';
import type { BusinessService } from './service.ts';

const RULES =
  "amountMinor ≥ 0 in the organization's currency (default); clientId a client and ownerId a member of this organization (400 naming the field).";

const STAGES =
  'Stage moves: lead, qualified, proposal and negotiation move to any other of these (forward, skipping stages, or back) or to won or lost; won and lost only reopen to negotiation. Entering won or lost sets closedAt; reopening clears it. Any other move is refused with 409 `invalid-transition` listing `allowedMoves`.';

export const dealRoutes: FastifyPluginAsyncTypebox<{ business: BusinessService }> = async (
  app,
  { business },
) => {
  const deals = business.deals;

  app.get(
    '/deals',
    {
      schema: {
        tags: ['deals'],
        summary: 'Deals, filtered and sorted',
        querystring: DealListQuery,
        response: { 200: Page(Deal) },
      },
      config: { access: requires('business:read') },
    },
    async (request) => deals.list(callContext(request), request.query),
  );

  app.get(
    '/deals/pipeline',
    {
      schema: {
        operationId: 'getDealPipeline',
        tags: ['deals'],
        summary: 'The pipeline: deals and their total amount per stage',
        description:
          "count = deals in the stage; amountMinor = sum of their amountMinor (deals in the organization's currency).",
        response: { 200: Pipeline },
      },
      config: { access: requires('business:read') },
    },
    async (request) => deals.pipeline(callContext(request)),
  );

  app.post(
    '/deals',
    {
      schema: {
        tags: ['deals'],
        summary: 'Record a deal (stage lead unless given)',
        description: `${RULES} A deal created as won or lost gets closedAt now.`,
        body: CreateDealBody,
        response: { 201: Deal },
      },
      config: { access: requires('business:manage') },
    },
    async (request, reply) => reply.code(201).send(await deals.create(callContext(request), request.body)),
  );

  app.get(
    '/deals/:id',
    {
      schema: { tags: ['deals'], summary: 'One deal', params: IdParams, response: { 200: Deal } },
      config: { access: requires('business:read') },
    },
    async (request, reply) => {
      const deal = await deals.get(callContext(request), request.params.id);
      reply.header('etag', `"${deal.version}"`);
      return deal;
    },
  );

  app.patch(
    '/deals/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['deals'],
        summary: 'Change a deal or move its stage (honours If-Match)',
        description: `${RULES} ${STAGES}`,
        params: IdParams,
        body: UpdateDealBody,
        response: { 200: Deal },
      },
      config: { access: requires('business:manage'), problems: ['invalid-transition'] },
    },
    async (request) =>
      deals.update(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/deals/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['deals'],
        summary: 'Delete a deal (honours If-Match)',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('business:manage') },
    },
    async (request, reply) => {
      await deals.delete(callContext(request), request.params.id, ifMatchVersion(request));
      return reply.code(204).send(null);
    },
  );
};
