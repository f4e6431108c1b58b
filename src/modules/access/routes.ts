// HTTP routes of access control: the permission catalogue and the organization's roles.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { requires } from './catalogue.ts';
import { CreateRoleBody, PermissionCatalogue, Role, RoleList, UpdateRoleBody } from './schemas.ts';
import type { AccessService } from './service.ts';

export const accessRoutes: FastifyPluginAsyncTypebox<{ access: AccessService }> = async (app, { access }) => {
  app.get(
    '/permissions',
    {
      schema: {
        tags: ['roles'],
        summary: 'The permission catalogue and the built-in roles',
        response: { 200: PermissionCatalogue },
      },
      config: { access: requires('roles:read') },
    },
    async () => access.catalogue(),
  );

  app.get(
    '/roles',
    {
      schema: { tags: ['roles'], summary: 'Roles of the organization', response: { 200: RoleList } },
      config: { access: requires('roles:read') },
    },
    async (request) => ({ items: await access.list(callContext(request)), nextCursor: null }),
  );

  app.get(
    '/roles/:id',
    {
      schema: { tags: ['roles'], summary: 'One role', params: IdParams, response: { 200: Role } },
      config: { access: requires('roles:read') },
    },
    async (request) => access.get(callContext(request), request.params.id),
  );

  app.post(
    '/roles',
    {
      schema: {
        tags: ['roles'],
        summary: 'Create a custom role (only with permissions you hold)',
        body: CreateRoleBody,
        response: { 201: Role },
      },
      config: { access: requires('roles:manage') },
    },
    async (request, reply) => reply.code(201).send(await access.create(callContext(request), request.body)),
  );

  app.patch(
    '/roles/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['roles'],
        summary: 'Change a custom role (honours If-Match)',
        params: IdParams,
        body: UpdateRoleBody,
        response: { 200: Role },
      },
      config: { access: requires('roles:manage') },
    },
    async (request) =>
      access.update(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/roles/:id',
    {
      schema: {
        tags: ['roles'],
        summary: 'Delete a custom role nobody holds (its open invitations go too)',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('roles:manage') },
    },
    async (request, reply) => {
      await access.remove(callContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
