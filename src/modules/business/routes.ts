// HTTP routes of business data, one plugin per resource family. Reads need `business:read`,
// writes `business:manage`.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { contractRoutes } from './contract-routes.ts';
import { dealRoutes } from './deal-routes.ts';
import { businessExportRoutes } from './export-routes.ts';
import { feedbackRoutes } from './feedback-routes.ts';
import { invoiceRoutes } from './invoice-routes.ts';
import type { BusinessService } from './service.ts';

export const businessRoutes: FastifyPluginAsyncTypebox<{ business: BusinessService }> = async (app, opts) => {
  await app.register(contractRoutes, opts);
  await app.register(invoiceRoutes, opts);
  await app.register(dealRoutes, opts);
  await app.register(feedbackRoutes, opts);
  await app.register(businessExportRoutes, opts);
};
