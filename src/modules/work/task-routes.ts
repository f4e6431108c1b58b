// HTTP routes of tasks, their comments, time entries and watchers.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page, WholeList } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import type { WorkService } from './service.ts';
import {
  Comment,
  CommentBody,
  CreateTaskBody,
  CreateTimeEntryBody,
  Task,
  TaskChildParams,
  TaskListQuery,
  TaskWatcherParams,
  TimeEntry,
  TimeEntryList,
  UpdateTaskBody,
  Watcher,
} from './task-schemas.ts';

export const taskRoutes: FastifyPluginAsyncTypebox<{ work: WorkService }> = async (app, { work }) => {
  const { tasks, taskActivity } = work;

  app.get(
    '/tasks',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Tasks, filtered, searched and sorted',
        querystring: TaskListQuery,
        response: { 200: Page(Task) },
      },
      config: { access: requires('tasks:read') },
    },
    async (request) => tasks.listTasks(callContext(request), request.query),
  );

  app.post(
    '/tasks',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Create a task in a project',
        description: "The project must be this organization's and the assignee one of its members.",
        body: CreateTaskBody,
        response: { 201: Task },
      },
      config: { access: requires('tasks:manage') },
    },
    async (request, reply) =>
      reply.code(201).send(await tasks.createTask(callContext(request), request.body)),
  );

  app.get(
    '/tasks/:id',
    {
      schema: { tags: ['tasks'], summary: 'One task', params: IdParams, response: { 200: Task } },
      config: { access: requires('tasks:read') },
    },
    async (request, reply) => {
      const task = await tasks.getTask(callContext(request), request.params.id);
      reply.header('etag', `"${task.version}"`);
      return task;
    },
  );

  app.patch(
    '/tasks/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['tasks'],
        summary: 'Change a task or move its status (honours If-Match)',
        description:
          'With tasks:manage any field of any task. With tasks:work only status, description and estimateMinutes of tasks assigned to you. Status moves: pending → active | completed | cancelled; active → pending | completed | cancelled; completed → active; cancelled → pending (409 `invalid-transition` otherwise). completedAt follows the status.',
        params: IdParams,
        body: UpdateTaskBody,
        response: { 200: Task },
      },
      config: { access: requires('tasks:work'), problems: ['invalid-transition'] },
    },
    async (request) =>
      tasks.updateTask(callContext(request), request.params.id, request.body, ifMatchVersion(request)),
  );

  app.delete(
    '/tasks/:id',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['tasks'],
        summary: 'Delete a task with its comments, time and attachments (honours If-Match)',
        params: IdParams,
        response: { 204: NoContent },
      },
      config: { access: requires('tasks:manage') },
    },
    async (request, reply) => {
      await tasks.deleteTask(callContext(request), request.params.id, ifMatchVersion(request));
      return reply.code(204).send(null);
    },
  );

  // ---- comments --------------------------------------------------------------------------------
  app.get(
    '/tasks/:id/comments',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Comments, oldest first',
        params: IdParams,
        response: { 200: WholeList(Comment) },
      },
      config: { access: requires('tasks:read') },
    },
    async (request) => ({
      items: await taskActivity.listComments(callContext(request), request.params.id),
      nextCursor: null,
    }),
  );

  app.post(
    '/tasks/:id/comments',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Comment on a task (markdown)',
        description: 'Needs tasks:manage, or tasks:work and being the assignee or a watcher of the task.',
        params: IdParams,
        body: CommentBody,
        response: { 201: Comment },
      },
      config: { access: requires('tasks:work') },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await taskActivity.addComment(callContext(request), request.params.id, request.body.body)),
  );

  app.patch(
    '/tasks/:id/comments/:childId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['tasks'],
        summary: 'Edit my comment (honours If-Match)',
        params: TaskChildParams,
        body: CommentBody,
        response: { 200: Comment },
      },
      config: { access: requires('tasks:work') },
    },
    async (request) =>
      taskActivity.editComment(
        callContext(request),
        request.params.id,
        request.params.childId,
        request.body.body,
        ifMatchVersion(request),
      ),
  );

  app.delete(
    '/tasks/:id/comments/:childId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['tasks'],
        summary: 'Delete my comment (honours If-Match)',
        params: TaskChildParams,
        response: { 204: NoContent },
      },
      config: { access: requires('tasks:work') },
    },
    async (request, reply) => {
      await taskActivity.deleteComment(
        callContext(request),
        request.params.id,
        request.params.childId,
        ifMatchVersion(request),
      );
      return reply.code(204).send(null);
    },
  );

  // ---- time entries ----------------------------------------------------------------------------
  app.get(
    '/tasks/:id/time-entries',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Time logged on a task, with the total against the estimate',
        params: IdParams,
        response: { 200: TimeEntryList },
      },
      config: { access: requires('tasks:read') },
    },
    async (request) => ({
      ...(await taskActivity.listTimeEntries(callContext(request), request.params.id)),
      nextCursor: null,
    }),
  );

  app.post(
    '/tasks/:id/time-entries',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Log time on a task',
        params: IdParams,
        body: CreateTimeEntryBody,
        response: { 201: TimeEntry },
      },
      config: { access: requires('tasks:work') },
    },
    async (request, reply) =>
      reply.code(201).send(await taskActivity.logTime(callContext(request), request.params.id, request.body)),
  );

  app.delete(
    '/tasks/:id/time-entries/:childId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['tasks'],
        summary: "Delete a time entry (mine, or anyone's with tasks:manage; honours If-Match)",
        params: TaskChildParams,
        response: { 204: NoContent },
      },
      config: { access: requires('tasks:work') },
    },
    async (request, reply) => {
      await taskActivity.deleteTimeEntry(
        callContext(request),
        request.params.id,
        request.params.childId,
        ifMatchVersion(request),
      );
      return reply.code(204).send(null);
    },
  );

  // ---- watchers --------------------------------------------------------------------------------
  app.get(
    '/tasks/:id/watchers',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Who watches the task',
        params: IdParams,
        response: { 200: WholeList(Watcher) },
      },
      config: { access: requires('tasks:read') },
    },
    async (request) => ({
      items: await taskActivity.listWatchers(callContext(request), request.params.id),
      nextCursor: null,
    }),
  );

  app.put(
    '/tasks/:id/watchers/:userId',
    {
      schema: {
        operationId: 'addTaskWatcher',
        tags: ['tasks'],
        summary: 'Watch a task (yourself; others need tasks:manage)',
        params: TaskWatcherParams,
        response: { 204: NoContent },
      },
      config: { access: requires('tasks:read') },
    },
    async (request, reply) => {
      await taskActivity.setWatching(callContext(request), request.params.id, request.params.userId, true);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/tasks/:id/watchers/:userId',
    {
      schema: {
        operationId: 'removeTaskWatcher',
        tags: ['tasks'],
        summary: 'Stop watching a task (yourself; others need tasks:manage)',
        params: TaskWatcherParams,
        response: { 204: NoContent },
      },
      config: { access: requires('tasks:read') },
    },
    async (request, reply) => {
      await taskActivity.setWatching(callContext(request), request.params.id, request.params.userId, false);
      return reply.code(204).send(null);
    },
  );
};
