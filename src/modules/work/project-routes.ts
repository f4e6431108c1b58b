// HTTP routes of projects, their milestones and expenses.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page, WholeList } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import {
  CreateExpenseBody,
  CreateMilestoneBody,
  CreateProjectBody,
  Expense,
  Milestone,
  Project,
  ProjectChildParams,
  ProjectListQuery,
  UpdateExpenseBody,
  UpdateMilestoneBody,
  UpdateProjectBody,
} from './project-schemas.ts';
import type { WorkService } from './service.ts';

export const projectRoutes: FastifyPluginAsyncTypebox<{ work: WorkService }> = async (app, { work }) => {
  const projects = work.projects;

  app.get(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'Projects, filtered, searched and sorted, with spent budget and progress',
        querystring: ProjectListQuery,
        response: { 200: Page(Project) },
      },
      config: { access: requires('projects:read') },
    },
    async (request) => projects.listProjects(callContext(request), request.query),
  );

  app.post(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'Create a project',
        description:
          "The budget is in the organization's currency (the default). The client must be this organization's, the owner a member, the due date not before the start.",
        body: CreateProjectBody,
        response: { 201: Project },
      },
      config: { access: requires('projects:manage') },
    },
    async (request, reply) =>
      reply.code(201).send(await projects.createProject(callContext(request), request.body)),
  );

  app.get(
    '/projects/:id',
    {
      schema: { tags: ['projects'], summary: 'One project', params: IdParams, response: { 200: Project } },
      config: { access: requires('projects:read') },
    },
    async (request, reply) => {
      const project = await projects.getProject(callContext(request), request.params.id);
      reply.header('etag', `"${project.version}"`);
      return project;
    },
  );

  app.patch(
    '/projects/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['projects'],
        summary: 'Change a project or move its status (honours If-Match)',
        description:
          'Status moves (docs/work-statuses.md): planning → active | on_hold | cancelled; active → on_hold | completed | cancelled; on_hold → active | cancelled — with projects:manage. Reopening, completed → active and cancelled → planning, also needs projects:reopen. Other moves: 409 `invalid-transition` with `allowedMoves`.',
        params: IdParams,
        body: UpdateProjectBody,
        response: { 200: Project },
      },
      config: { access: requires('projects:manage'), problems: ['invalid-transition'] },
    },
    async (request) =>
      projects.updateProject(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/projects/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['projects'],
        summary: 'Delete a project with its tasks, milestones and expenses (honours If-Match)',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('projects:manage') },
    },
    async (request, reply) => {
      await projects.deleteProject(callContext(request), request.params.id, ifMatchVersion(request));
      return reply.code(204).send(null);
    },
  );

  // ---- milestones --------------------------------------------------------------------------------
  app.get(
    '/projects/:id/milestones',
    {
      schema: {
        tags: ['projects'],
        summary: 'Milestones, by due date',
        params: IdParams,
        response: { 200: WholeList(Milestone) },
      },
      config: { access: requires('projects:read') },
    },
    async (request) => ({
      items: await projects.listMilestones(callContext(request), request.params.id),
      nextCursor: null,
    }),
  );

  app.post(
    '/projects/:id/milestones',
    {
      schema: {
        tags: ['projects'],
        summary: 'Add a milestone',
        params: IdParams,
        body: CreateMilestoneBody,
        response: { 201: Milestone },
      },
      config: { access: requires('projects:manage') },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await projects.createMilestone(callContext(request), request.params.id, request.body)),
  );

  app.patch(
    '/projects/:id/milestones/:childId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['projects'],
        summary: 'Change a milestone or mark it done (honours If-Match)',
        params: ProjectChildParams,
        body: UpdateMilestoneBody,
        response: { 200: Milestone },
      },
      config: { access: requires('projects:manage') },
    },
    async (request) =>
      projects.updateMilestone(
        callContext(request),
        request.params.id,
        request.params.childId,
        request.body,
        ifMatchVersion(request),
      ),
  );

  app.delete(
    '/projects/:id/milestones/:childId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['projects'],
        summary: 'Delete a milestone (honours If-Match)',
        params: ProjectChildParams,
        response: { 204: NoContent },
      },
      config: { access: requires('projects:manage') },
    },
    async (request, reply) => {
      await projects.deleteMilestone(
        callContext(request),
        request.params.id,
        request.params.childId,
        ifMatchVersion(request),
      );
      return reply.code(204).send(null);
    },
  );

  // ---- expenses ----------------------------------------------------------------------------------
  app.get(
    '/projects/:id/expenses',
    {
      schema: {
        tags: ['projects'],
        summary: 'Expenses, newest first',
        params: IdParams,
        response: { 200: WholeList(Expense) },
      },
      config: { access: requires('projects:read') },
    },
    async (request) => ({
      items: await projects.listExpenses(callContext(request), request.params.id),
      nextCursor: null,
    }),
  );

  app.post(
    '/projects/:id/expenses',
    {
      schema: {
        tags: ['projects'],
        summary: 'Record an expense (in the project currency)',
        params: IdParams,
        body: CreateExpenseBody,
        response: { 201: Expense },
      },
      config: { access: requires('projects:manage') },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await projects.createExpense(callContext(request), request.params.id, request.body)),
  );

  app.patch(
    '/projects/:id/expenses/:childId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['projects'],
        summary: 'Change an expense (honours If-Match)',
        params: ProjectChildParams,
        body: UpdateExpenseBody,
        response: { 200: Expense },
      },
      config: { access: requires('projects:manage') },
    },
    async (request) =>
      projects.updateExpense(
        callContext(request),
        request.params.id,
        request.params.childId,
        request.body,
        ifMatchVersion(request),
      ),
  );

  app.delete(
    '/projects/:id/expenses/:childId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['projects'],
        summary: 'Delete an expense (honours If-Match)',
        params: ProjectChildParams,
        response: { 204: NoContent },
      },
      config: { access: requires('projects:manage') },
    },
    async (request, reply) => {
      await projects.deleteExpense(
        callContext(request),
        request.params.id,
        request.params.childId,
        ifMatchVersion(request),
      );
      return reply.code(204).send(null);
    },
  );
};
