// HTTP routes of contracts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { Contract, ContractListQuery, CreateContractBody, UpdateContractBody } from './contract-schemas.ts';
import type { BusinessService } from './service.ts';

const RULES =
  "amountMinor > 0; currency is the organization's (default); endDate not before startDate; clientId a client of this organization. Breaking a rule is a 400 naming the field.";

export const contractRoutes: FastifyPluginAsyncTypebox<{ business: BusinessService }> = async (
  app,
  { business },
) => {
  const contracts = business.contracts;

  app.get(
    '/contracts',
    {
      schema: {
        tags: ['contracts'],
        summary: 'Contracts, filtered and sorted',
        querystring: ContractListQuery,
        response: { 200: Page(Contract) },
      },
      config: { access: requires('business:read') },
    },
    async (request) => contracts.list(callContext(request), request.query),
  );

  app.post(
    '/contracts',
    {
      schema: {
        tags: ['contracts'],
        summary: 'Record a contract',
        description: RULES,
        body: CreateContractBody,
        response: { 201: Contract },
      },
      config: { access: requires('business:manage') },
    },
    async (request, reply) =>
      reply.code(201).send(await contracts.create(callContext(request), request.body)),
  );

  app.get(
    '/contracts/:id',
    {
      schema: { tags: ['contracts'], summary: 'One contract', params: IdParams, response: { 200: Contract } },
      config: { access: requires('business:read') },
    },
    async (request, reply) => {
      const contract = await contracts.get(callContext(request), request.params.id);
      reply.header('etag', `"${contract.version}"`);
      return contract;
    },
  );

  app.patch(
    '/contracts/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['contracts'],
        summary: 'Change a contract (honours If-Match)',
        description: RULES,
        params: IdParams,
        body: UpdateContractBody,
        response: { 200: Contract },
      },
      config: { access: requires('business:manage') },
    },
    async (request) =>
      contracts.update(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/contracts/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['contracts'],
        summary: 'Delete a contract (honours If-Match)',
        description:
          'Only a contract starting today or later: one that started before today has counted in past MRR, and deleting it would rewrite it (409 `financial-history`); end it instead by setting its endDate.',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('business:manage') },
    },
    async (request, reply) => {
      await contracts.delete(callContext(request), request.params.id, ifMatchVersion(request));
      return reply.code(204).send(null);
    },
  );
};
