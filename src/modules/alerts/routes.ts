// HTTP routes of alerting: thin — parse, call the service, shape the answer. Every route takes
// `scope=platform` (super admins) for the installation-wide rules and alerts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import {
  AcknowledgeBody,
  Alert,
  AlertListQuery,
  AlertRule,
  AlertWithHistory,
  CreateAlertRuleBody,
  ExecutiveAlerts,
  ExecutiveAlertsQuery,
  Preview,
  PreviewBody,
  ResolveBody,
  RuleListQuery,
  ScopeQuery,
  SilenceBody,
  UpdateAlertRuleBody,
} from './schemas.ts';
import type { AlertServices } from './service.ts';

const READ = { access: requires('alerts:read') };
const MANAGE = { access: requires('alerts:manage') };
const tags = ['alerts'];

export const alertRoutes: FastifyPluginAsyncTypebox<{ alerts: AlertServices }> = async (app, { alerts }) => {
  app.get(
    '/alerts/rules',
    {
      schema: {
        operationId: 'listAlertRules',
        tags,
        summary: 'Alert rules (the organization’s, or the platform’s with scope=platform)',
        querystring: RuleListQuery,
        response: { 200: Page(AlertRule) },
      },
      config: READ,
    },
    async (request) => alerts.rules.list(callContext(request), request.query),
  );

  app.post(
    '/alerts/rules',
    {
      schema: {
        operationId: 'createAlertRule',
        tags,
        summary: 'Create an alert rule',
        description:
          'Conditions name a metric of the monitoring catalogue allowed for the scope, an operator, a threshold in the metric’s unit and a window (`forMinutes`, at least one sampling interval). Refused naming the field: an unknown metric, a metric of another scope, an impossible threshold (percent outside 0–100, negative ms, bytes or counts), a window shorter than the sampling interval, `contains` on a metric that is not a count, a cooldown of zero.',
        body: CreateAlertRuleBody,
        response: { 201: AlertRule },
      },
      config: MANAGE,
    },
    async (request, reply) =>
      reply.code(201).send(await alerts.rules.create(callContext(request), request.body)),
  );

  app.post(
    '/alerts/rules/preview',
    {
      schema: {
        operationId: 'previewAlertRule',
        tags,
        summary: 'When a rule would have fired and resolved over the last 24 hours',
        description:
          'Replays the conditions over the stored samples with the live evaluator’s logic and cooldown, at every `evaluateEverySeconds` (at least 60 s) of the last 24 hours. Needs `alerts:manage` (it costs a day of samples per condition).',
        body: PreviewBody,
        response: { 200: Preview },
      },
      config: MANAGE,
    },
    async (request) => alerts.rules.preview(callContext(request), request.body),
  );

  app.get(
    '/alerts/rules/:id',
    {
      schema: {
        operationId: 'getAlertRule',
        tags,
        summary: 'An alert rule',
        params: IdParams,
        querystring: ScopeQuery,
        response: { 200: AlertRule },
      },
      config: READ,
    },
    async (request) => alerts.rules.get(callContext(request), request.params.id, request.query.scope),
  );

  app.patch(
    '/alerts/rules/:id',
    {
      schema: {
        operationId: 'updateAlertRule',
        headers: IfMatchHeaders,
        tags,
        summary:
          'Change an alert rule (built-in ones too: they keep the changes through upgrades; honours If-Match)',
        params: IdParams,
        querystring: ScopeQuery,
        body: UpdateAlertRuleBody,
        response: { 200: AlertRule },
      },
      config: MANAGE,
    },
    async (request) =>
      alerts.rules.update(
        callContext(request),
        request.params.id,
        request.body,
        request.query.scope,
        ifMatchVersion(request),
      ),
  );

  app.delete(
    '/alerts/rules/:id',
    {
      schema: {
        operationId: 'deleteAlertRule',
        tags,
        summary: 'Delete an alert rule with its alerts (not a built-in one: disable it)',
        params: IdParams,
        querystring: ScopeQuery,
        response: { 204: NoContent },
      },
      config: { ...MANAGE, problems: ['conflict'] },
    },
    async (request, reply) => {
      await alerts.rules.delete(callContext(request), request.params.id, request.query.scope);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/alerts/list',
    {
      schema: {
        operationId: 'listAlerts',
        tags,
        summary: 'Alerts, newest first (filters: status, severity, rule)',
        querystring: AlertListQuery,
        response: { 200: Page(Alert) },
      },
      config: READ,
    },
    async (request) => alerts.alerts.list(callContext(request), request.query),
  );

  app.post(
    '/alerts/acknowledge',
    {
      schema: {
        operationId: 'acknowledgeAlert',
        tags,
        summary: 'Acknowledge an alert (who, when, comment)',
        description:
          'A pending or firing alert becomes acknowledged; it still resolves by itself when its condition clears. A resolved (or already acknowledged) alert: 409 `invalid-transition`.',
        body: AcknowledgeBody,
        response: { 200: AlertWithHistory },
      },
      config: { ...MANAGE, problems: ['not-found', 'invalid-transition'] },
    },
    async (request) => alerts.alerts.acknowledge(callContext(request), request.body),
  );

  app.get(
    '/alerts/:id',
    {
      schema: {
        operationId: 'getAlert',
        tags,
        summary: 'An alert with the history of its transitions',
        params: IdParams,
        querystring: ScopeQuery,
        response: { 200: AlertWithHistory },
      },
      config: READ,
    },
    async (request) => alerts.alerts.get(callContext(request), request.params.id, request.query.scope),
  );

  app.post(
    '/alerts/resolve',
    {
      schema: {
        operationId: 'resolveAlert',
        tags,
        summary: 'Resolve an alert by hand (its rule’s cooldown starts)',
        body: ResolveBody,
        response: { 200: AlertWithHistory },
      },
      config: { ...MANAGE, problems: ['not-found', 'invalid-transition'] },
    },
    async (request) => alerts.alerts.resolve(callContext(request), request.body.alertId, request.body),
  );

  app.post(
    '/alerts/silence',
    {
      schema: {
        operationId: 'silenceAlert',
        tags,
        summary: 'Silence the alert’s rule until a time (alerts still open and close; nobody is notified)',
        body: SilenceBody,
        response: { 200: AlertWithHistory },
      },
      config: { ...MANAGE, problems: ['not-found'] },
    },
    async (request) => alerts.alerts.silence(callContext(request), request.body.alertId, request.body),
  );

  app.get(
    '/executive/alerts',
    {
      schema: {
        operationId: 'getExecutiveAlerts',
        tags,
        summary: 'Active alerts first, most severe first, with counts per severity',
        querystring: ExecutiveAlertsQuery,
        response: { 200: ExecutiveAlerts },
      },
      config: READ,
    },
    async (request) => alerts.alerts.executive(callContext(request), request.query),
  );
};
