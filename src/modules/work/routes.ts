// HTTP routes of work management, one plugin per resource family.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { clientRoutes } from './client-routes.ts';
import { projectRoutes } from './project-routes.ts';
import type { WorkService } from './service.ts';
import { taskRoutes } from './task-routes.ts';

export const workRoutes: FastifyPluginAsyncTypebox<{ work: WorkService }> = async (app, opts) => {
  await app.register(clientRoutes, opts);
  await app.register(projectRoutes, opts);
  await app.register(taskRoutes, opts);
};
