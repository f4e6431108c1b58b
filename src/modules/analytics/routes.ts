// HTTP routes of analytics: the dashboard and project performance (analytics:read), executive
// metrics and trends (executive:read; scope=global also needs platform:admin, checked by the service).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import {
  Dashboard,
  DashboardQuery,
  ExecutiveMetrics,
  ExecutiveMetricsQuery,
  ProjectPerformance,
  ProjectPerformanceQuery,
  Trend,
  TrendQuery,
} from './schemas.ts';
import type { AnalyticsService } from './service.ts';

export const analyticsRoutes: FastifyPluginAsyncTypebox<{ analytics: AnalyticsService }> = async (
  app,
  { analytics },
) => {
  app.get(
    '/analytics/dashboard',
    {
      schema: {
        operationId: 'getDashboard',
        tags: ['analytics'],
        summary: 'Organization dashboard: projects by status, weekly completions, overdue tasks, activity',
        description:
          "Days and weeks are counted in the organization's time zone; `asOf` (default now) pins the clock.",
        querystring: DashboardQuery,
        response: { 200: Dashboard },
      },
      config: { access: requires('analytics:read') },
    },
    async (request) => analytics.dashboard.dashboard(callContext(request), request.query),
  );

  app.get(
    '/reports/project-performance',
    {
      schema: {
        operationId: 'getProjectPerformanceReport',
        tags: ['analytics'],
        summary: 'Per project: on-time status and rate, budget variance, velocity, progress',
        description: 'Ordered by project id (creation order), cursor-paginated.',
        querystring: ProjectPerformanceQuery,
        response: { 200: Page(ProjectPerformance) },
      },
      config: { access: requires('analytics:read') },
    },
    async (request) => analytics.dashboard.projectPerformance(callContext(request), request.query),
  );

  app.get(
    '/executive/metrics',
    {
      schema: {
        operationId: 'getExecutiveMetrics',
        tags: ['analytics'],
        summary:
          'Executive metrics: revenue, MRR, projects, active users, clients, churn, satisfaction, conversion, system, security, alerts',
        description:
          "scope=org (default): the organization, days and months in its time zone. scope=global: every organization, in UTC; needs `platform:admin` (super admins) besides `executive:read`. Each field's description gives its formula. `system`, `security` and `alerts` come from the monitoring, health-check, security and alert modules: scope=org shows only the organization's own figures (its requests, failed logins, threats, alerts; the platform's figures are null), scope=global the platform's.",
        querystring: ExecutiveMetricsQuery,
        response: { 200: ExecutiveMetrics },
      },
      config: { access: requires('executive:read') },
    },
    async (request) => analytics.executive.metrics(callContext(request), request.query),
  );

  app.get(
    '/executive/trends',
    {
      schema: {
        operationId: 'getExecutiveTrends',
        tags: ['analytics'],
        summary: 'One executive metric as a daily series',
        description:
          "`days` days (1–366, default 30) ending with asOf's day, every day present. Same scopes as /executive/metrics.",
        querystring: TrendQuery,
        response: { 200: Trend },
      },
      config: { access: requires('executive:read') },
    },
    async (request) => analytics.executive.trend(callContext(request), request.query),
  );
};
