// HTTP routes of work management, one plugin per resource family.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config.ts';
import { attachmentRoutes } from './attachment-routes.ts';
import { bulkRoutes } from './bulk-routes.ts';
import { clientRoutes } from './client-routes.ts';
import { projectRoutes } from './project-routes.ts';
import type { WorkService } from './service.ts';
import { taskRoutes } from './task-routes.ts';

export const workRoutes: FastifyPluginAsyncTypebox<{ work: WorkService; config: Config }> = async (
  app,
  opts,
) => {
  await app.register(bulkRoutes, opts);
  await app.register(clientRoutes, opts);
  await app.register(projectRoutes, opts);
  await app.register(taskRoutes, opts);
  await app.register(attachmentRoutes, opts);
};
