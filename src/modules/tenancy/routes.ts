// HTTP routes of tenancy: organization, plans and usage, members, invitations, departments, IP
// rules, and platform administration of organizations.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page, WholeList } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext, SIGNED_IN } from '../../platform/http/request-context.ts';
import {
  ChangePlanBody,
  CreateDepartmentBody,
  CreatedInvitation,
  CreateInvitationBody,
  CreateIpRuleBody,
  CreateOrganizationBody,
  Department,
  Invitation,
  InvitationListQuery,
  IpRule,
  Member,
  MemberListQuery,
  MyOrganization,
  Organization,
  Plan,
  PlatformOrganization,
  PlatformOrganizationListQuery,
  UpdateDepartmentBody,
  UpdateMemberBody,
  UpdateOrganizationBody,
  UpdatePlatformOrganizationBody,
  Usage,
} from './schemas.ts';
import type { TenancyService } from './service.ts';
import type { UsageMeter } from './usage-meter.ts';

export const tenancyRoutes: FastifyPluginAsyncTypebox<{
  tenancy: TenancyService;
  meter: UsageMeter;
}> = async (app, { tenancy, meter }) => {
  // ---- organizations -------------------------------------------------------------------------
  app.get(
    '/organizations',
    {
      schema: {
        tags: ['organization'],
        summary: 'My organizations and my role in each',
        response: { 200: WholeList(MyOrganization) },
      },
      config: { access: { authenticated: true, duringMfaEnrollment: true } },
    },
    async (request) => ({
      items: await tenancy.organizations.myOrganizations(callContext(request).principal),
      nextCursor: null,
    }),
  );

  app.post(
    '/organizations',
    {
      schema: {
        tags: ['organization'],
        summary: 'Create another organization, with me as its admin',
        body: CreateOrganizationBody,
        response: { 201: Organization },
      },
      config: { access: SIGNED_IN },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await tenancy.organizations.createOrganizationForUser(callContext(request), request.body)),
  );

  app.get(
    '/organization',
    {
      schema: {
        operationId: 'getOrganization',
        tags: ['organization'],
        summary: 'The organization acted for',
        response: { 200: Organization },
      },
      config: { access: requires('organization:read') },
    },
    async (request, reply) => {
      const org = await tenancy.organizations.getOrganization(callContext(request));
      reply.header('etag', `"${org.version}"`);
      return org;
    },
  );

  app.patch(
    '/organization',
    {
      schema: {
        operationId: 'updateOrganization',
        headers: IfMatchHeaders,
        tags: ['organization'],
        summary: 'Change name, MFA requirement, time zone or locale (honours If-Match)',
        body: UpdateOrganizationBody,
        response: { 200: Organization },
      },
      config: { access: requires('organization:update') },
    },
    async (request) =>
      tenancy.organizations.updateOrganization(callContext(request), request.body, ifMatchVersion(request)),
  );

  app.get(
    '/plans',
    {
      schema: {
        tags: ['organization'],
        summary: 'Available plans and their limits',
        response: { 200: WholeList(Plan) },
      },
      config: { access: SIGNED_IN },
    },
    async () => ({ items: await tenancy.organizations.listPlans(), nextCursor: null }),
  );

  app.get(
    '/organization/usage',
    {
      schema: {
        operationId: 'getOrganizationUsage',
        tags: ['organization'],
        summary: 'Plan limits and current usage',
        response: { 200: Usage },
      },
      config: { access: requires('plan:read') },
    },
    async (request) => {
      const ctx = callContext(request);
      return tenancy.organizations.usage(ctx, ctx.principal.org ? meter.unflushed(ctx.principal.org.id) : 0);
    },
  );

  app.put(
    '/organization/plan',
    {
      schema: {
        operationId: 'changeOrganizationPlan',
        tags: ['organization'],
        summary: 'Change plan',
        description:
          "Takes effect at once (no payment provider is configured). Refused with `quota-exceeded` if the organization is above the new plan's limits.",
        body: ChangePlanBody,
        response: { 200: Organization },
      },
      config: { access: requires('plan:manage'), problems: ['quota-exceeded'] },
    },
    async (request) => tenancy.organizations.changePlan(callContext(request), request.body.planId),
  );

  // ---- members -------------------------------------------------------------------------------
  app.get(
    '/members',
    {
      schema: {
        tags: ['members'],
        summary: 'Members of the organization',
        querystring: MemberListQuery,
        response: { 200: Page(Member) },
      },
      config: { access: requires('members:read') },
    },
    async (request) => tenancy.members.listMembers(callContext(request), request.query),
  );

  app.get(
    '/members/:id',
    {
      schema: { tags: ['members'], summary: 'One member', params: IdParams, response: { 200: Member } },
      config: { access: requires('members:read') },
    },
    async (request) => tenancy.members.getMember(callContext(request), request.params.id),
  );

  app.patch(
    '/members/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['members'],
        summary: "Change a member's role, department or status (honours If-Match)",
        description:
          'You can only give roles, and change members whose roles, carry no permission you lack. The last active org admin cannot be demoted.',
        params: IdParams,
        body: UpdateMemberBody,
        response: { 200: Member },
      },
      config: { access: requires('members:update') },
    },
    async (request) =>
      tenancy.members.updateMember(
        callContext(request),
        request.params.id,
        request.body,
        ifMatchVersion(request),
      ),
  );

  app.delete(
    '/members/:id',
    {
      schema: {
        operationId: 'removeMember',
        tags: ['members'],
        summary: 'Remove a member',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('members:remove') },
    },
    async (request, reply) => {
      await tenancy.members.removeMember(callContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  // ---- invitations ---------------------------------------------------------------------------
  app.get(
    '/invitations',
    {
      schema: {
        tags: ['members'],
        summary: 'Invitations',
        querystring: InvitationListQuery,
        response: { 200: Page(Invitation) },
      },
      config: { access: requires('members:invite') },
    },
    async (request) => tenancy.invitations.listInvitations(callContext(request), request.query),
  );

  app.post(
    '/invitations',
    {
      schema: {
        tags: ['members'],
        summary: "Invite someone by e-mail (counts against the plan's user limit)",
        description:
          'The answer carries the invitation token once; BUL has no e-mail channel yet, so hand the token to the invitee.',
        body: CreateInvitationBody,
        response: { 201: CreatedInvitation },
      },
      config: { access: requires('members:invite'), problems: ['quota-exceeded'] },
    },
    async (request, reply) =>
      reply.code(201).send(await tenancy.invitations.createInvitation(callContext(request), request.body)),
  );

  app.delete(
    '/invitations/:id',
    {
      schema: {
        operationId: 'revokeInvitation',
        tags: ['members'],
        summary: 'Revoke an open invitation',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('members:invite') },
    },
    async (request, reply) => {
      await tenancy.invitations.revokeInvitation(callContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  // ---- departments ---------------------------------------------------------------------------
  app.get(
    '/departments',
    {
      schema: {
        tags: ['departments'],
        summary: 'The department tree, depth-first',
        response: { 200: WholeList(Department) },
      },
      config: { access: requires('departments:read') },
    },
    async (request) => ({
      items: await tenancy.departments.departmentTree(callContext(request)),
      nextCursor: null,
    }),
  );

  app.get(
    '/departments/:id',
    {
      schema: {
        tags: ['departments'],
        summary: 'One department',
        params: IdParams,
        response: { 200: Department },
      },
      config: { access: requires('departments:read') },
    },
    async (request) => tenancy.departments.getDepartment(callContext(request), request.params.id),
  );

  app.post(
    '/departments',
    {
      schema: {
        tags: ['departments'],
        summary: 'Create a department',
        body: CreateDepartmentBody,
        response: { 201: Department },
      },
      config: { access: requires('departments:manage') },
    },
    async (request, reply) =>
      reply.code(201).send(await tenancy.departments.createDepartment(callContext(request), request.body)),
  );

  app.patch(
    '/departments/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['departments'],
        summary: 'Rename or move a department (no cycles; honours If-Match)',
        params: IdParams,
        body: UpdateDepartmentBody,
        response: { 200: Department },
      },
      config: { access: requires('departments:manage') },
    },
    async (request) =>
      tenancy.departments.updateDepartment(
        callContext(request),
        request.params.id,
        request.body,
        ifMatchVersion(request),
      ),
  );

  app.delete(
    '/departments/:id',
    {
      schema: {
        tags: ['departments'],
        summary: 'Delete a department without sub-departments',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('departments:manage') },
    },
    async (request, reply) => {
      await tenancy.departments.deleteDepartment(callContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  // ---- IP rules ------------------------------------------------------------------------------
  app.get(
    '/ip-rules',
    {
      schema: {
        tags: ['security'],
        summary: 'IP allow/deny rules of the organization',
        response: { 200: WholeList(IpRule) },
      },
      config: { access: requires('ip_rules:read') },
    },
    async (request) => ({ items: await tenancy.ipRules.listIpRules(callContext(request)), nextCursor: null }),
  );

  app.post(
    '/ip-rules',
    {
      schema: {
        tags: ['security'],
        summary: 'Add an IP rule (refused if it would shut out your own address)',
        body: CreateIpRuleBody,
        response: { 201: IpRule },
      },
      config: { access: requires('ip_rules:manage') },
    },
    async (request, reply) =>
      reply.code(201).send(await tenancy.ipRules.addIpRule(callContext(request), request.body)),
  );

  app.delete(
    '/ip-rules/:id',
    {
      schema: {
        tags: ['security'],
        summary: 'Remove an IP rule',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('ip_rules:manage') },
    },
    async (request, reply) => {
      await tenancy.ipRules.removeIpRule(callContext(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  // ---- platform administration ---------------------------------------------------------------
  app.get(
    '/admin/organizations',
    {
      schema: {
        operationId: 'listAllOrganizations',
        tags: ['platform'],
        summary: 'Every organization of the installation, or those matching `q`',
        querystring: PlatformOrganizationListQuery,
        response: { 200: WholeList(PlatformOrganization) },
      },
      config: { access: requires('platform:admin') },
    },
    async (request) => ({
      items: await tenancy.organizations.platformOrganizations(callContext(request), request.query.q),
      nextCursor: null,
    }),
  );

  app.patch(
    '/admin/organizations/:id',
    {
      schema: {
        operationId: 'updateAnyOrganization',
        tags: ['platform'],
        summary: 'Suspend, reactivate or re-plan an organization',
        params: IdParams,
        body: UpdatePlatformOrganizationBody,
        response: { 200: Organization },
      },
      config: { access: requires('platform:admin') },
    },
    async (request) =>
      tenancy.organizations.updatePlatformOrganization(callContext(request), request.params.id, request.body),
  );

  app.get(
    '/admin/ip-rules',
    {
      schema: {
        operationId: 'listPlatformIpRules',
        tags: ['platform'],
        summary: 'Global IP rules stored in the database (the IP_ALLOWLIST/IP_DENYLIST settings apply too)',
        response: { 200: WholeList(IpRule) },
      },
      config: { access: requires('platform:admin') },
    },
    async (request) => ({
      items: await tenancy.ipRules.listIpRules(callContext(request), true),
      nextCursor: null,
    }),
  );

  app.post(
    '/admin/ip-rules',
    {
      schema: {
        operationId: 'createPlatformIpRule',
        tags: ['platform'],
        summary: 'Add a global IP rule',
        body: CreateIpRuleBody,
        response: { 201: IpRule },
      },
      config: { access: requires('platform:admin') },
    },
    async (request, reply) =>
      reply.code(201).send(await tenancy.ipRules.addIpRule(callContext(request), request.body, true)),
  );

  app.delete(
    '/admin/ip-rules/:id',
    {
      schema: {
        operationId: 'deletePlatformIpRule',
        tags: ['platform'],
        summary: 'Remove a global IP rule',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('platform:admin') },
    },
    async (request, reply) => {
      await tenancy.ipRules.removeIpRule(callContext(request), request.params.id, true);
      return reply.code(204).send(null);
    },
  );
};
