// HTTP routes of clients, their contacts and status history.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page, WholeList } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import {
  Client,
  ClientContactParams,
  ClientListQuery,
  ClientStatusChange,
  Contact,
  CreateClientBody,
  CreateContactBody,
  UpdateClientBody,
  UpdateContactBody,
} from './client-schemas.ts';
import type { WorkService } from './service.ts';

export const clientRoutes: FastifyPluginAsyncTypebox<{ work: WorkService }> = async (app, { work }) => {
  const clients = work.clients;

  app.get(
    '/clients',
    {
      schema: {
        tags: ['clients'],
        summary: 'Clients, filtered, searched and sorted',
        querystring: ClientListQuery,
        response: { 200: Page(Client) },
      },
      config: { access: requires('clients:read') },
    },
    async (request) => clients.listClients(callContext(request), request.query),
  );

  app.post(
    '/clients',
    {
      schema: {
        tags: ['clients'],
        summary: 'Create a client (status lead unless given)',
        body: CreateClientBody,
        response: { 201: Client },
      },
      config: { access: requires('clients:manage') },
    },
    async (request, reply) =>
      reply.code(201).send(await clients.createClient(callContext(request), request.body)),
  );

  app.get(
    '/clients/:id',
    {
      schema: { tags: ['clients'], summary: 'One client', params: IdParams, response: { 200: Client } },
      config: { access: requires('clients:read') },
    },
    async (request, reply) => {
      const client = await clients.getClient(callContext(request), request.params.id);
      reply.header('etag', `"${client.version}"`);
      return client;
    },
  );

  app.patch(
    '/clients/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['clients'],
        summary: 'Change a client or move its status (honours If-Match)',
        description:
          "Status moves: lead → active or churned; active → churned; churned → active. Any other move is refused with 409 `invalid-transition` listing the allowed moves. Each move is kept in the status history. Churning a client ends its contracts running on the churn day (today in the organization's time zone): their endDate becomes the day before, so from the churn day on they no longer count in MRR; a contract starting on or after the churn day is refused with 409 (delete it or move it first). Moving back to active reopens nothing. `archived` archives or restores the client (not while active: 409).",
        params: IdParams,
        body: UpdateClientBody,
        response: { 200: Client },
      },
      config: { access: requires('clients:manage'), problems: ['invalid-transition'] },
    },
    async (request) =>
      clients.updateClient(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/clients/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['clients'],
        summary: 'Delete a client without financial history, with its contacts (honours If-Match)',
        description:
          "A client with contracts, invoices (and so payments) or feedback is refused with 409 `financial-history`, since deleting them would rewrite past revenue, MRR and satisfaction: archive it instead (PATCH `archived: true`). The client's projects and deals stay, without a client.",
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('clients:manage') },
    },
    async (request, reply) => {
      await clients.deleteClient(callContext(request), request.params.id, ifMatchVersion(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/clients/:id/status-history',
    {
      schema: {
        operationId: 'listClientStatusChanges',
        tags: ['clients'],
        summary: "The client's status changes, oldest first",
        params: IdParams,
        response: { 200: WholeList(ClientStatusChange) },
      },
      config: { access: requires('clients:read') },
    },
    async (request) => ({
      items: await clients.statusHistory(callContext(request), request.params.id),
      nextCursor: null,
    }),
  );

  // ---- contacts --------------------------------------------------------------------------------
  app.get(
    '/clients/:id/contacts',
    {
      schema: {
        tags: ['clients'],
        summary: "The client's contacts",
        params: IdParams,
        response: { 200: WholeList(Contact) },
      },
      config: { access: requires('clients:read') },
    },
    async (request) => ({
      items: await clients.listContacts(callContext(request), request.params.id),
      nextCursor: null,
    }),
  );

  app.post(
    '/clients/:id/contacts',
    {
      schema: {
        tags: ['clients'],
        summary: 'Add a contact',
        description:
          'Messaging consent (`messagingConsent: true`) needs `consentSource`; `consentAt` defaults to now. Withdrawing consent clears both.',
        params: IdParams,
        body: CreateContactBody,
        response: { 201: Contact },
      },
      config: { access: requires('clients:manage') },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await clients.createContact(callContext(request), request.params.id, request.body)),
  );

  app.patch(
    '/clients/:id/contacts/:contactId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['clients'],
        summary: 'Change a contact or its consent (honours If-Match)',
        params: ClientContactParams,
        body: UpdateContactBody,
        response: { 200: Contact },
      },
      config: { access: requires('clients:manage') },
    },
    async (request) =>
      clients.updateContact(
        callContext(request),
        request.params.id,
        request.params.contactId,
        request.body,
        ifMatchVersion(request),
      ),
  );

  app.delete(
    '/clients/:id/contacts/:contactId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['clients'],
        summary: 'Delete a contact (honours If-Match)',
        params: ClientContactParams,
        response: { 204: NoContent },
      },
      config: { access: requires('clients:manage') },
    },
    async (request, reply) => {
      await clients.deleteContact(
        callContext(request),
        request.params.id,
        request.params.contactId,
        ifMatchVersion(request),
      );
      return reply.code(204).send(null);
    },
  );
};
