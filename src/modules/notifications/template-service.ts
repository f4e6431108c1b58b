// The organization's notification templates: one per event × channel × language, each a history
// of immutable versions (numbered from 1) of which at most one is published, the one the planner
// sends. Publishing an older version is the rollback; unpublishing goes back to the built-in
// template. A version is refused at save when the engine's check() finds a problem (with its field,
// line and column), so a template never fails at send time for its own sake. Also the preview
// with sample data and the documentation of each event's variables.
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, type FieldError, fieldError, invalidField, notFound } from '../../platform/errors.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import type { Locale } from '../../platform/i18n/locale.ts';
import type { AuditService, RecordChange } from '../audit/service.ts';
import type { DeliveryChannel, RenderedMessage } from './channels/provider.ts';
import { NOTIFICATIONS } from './messages.ts';
import { problemParams } from './send-service.ts';
import * as store from './store.ts';
import type { NotificationTemplateDto, TemplateListItemDto, TemplateVersionDto } from './template-schemas.ts';
import { BUILTIN_TEMPLATES, builtinTemplate, genericTemplate } from './templates/builtin.ts';
import {
  type TemplateContent,
  type TemplateEngine,
  TemplateRenderError,
  type WhatsappTemplateRef,
} from './templates/engine.ts';
import {
  isTemplateEventType,
  NOTIFICATION_EVENTS,
  sampleVariables,
  type VariableDoc,
  variablesOf,
} from './templates/variables.ts';

export interface TemplateDeps {
  db: Db;
  audit: AuditService;
  engine: TemplateEngine;
}

/** What a template says, as the API takes it (the keys of an event, channel and language). */
export interface TemplateKey {
  eventType: string;
  channel: DeliveryChannel;
  language: Locale;
}
export interface TemplateSource {
  subject?: string | null;
  body: string;
  whatsappTemplate?: WhatsappTemplateRef | null;
}

const NOTIFICATION_ONLY = Object.keys(NOTIFICATION_EVENTS);

function checkEventType(type: string, where: FieldError['in'] = 'body'): void {
  if (isTemplateEventType(type)) return;
  const msg = NOTIFICATIONS.unknownEventType({ type, others: { list: NOTIFICATION_ONLY } });
  throw new AppError('validation-failed', msg, {
    errors: [fieldError('eventType', 'eventType', msg, where)],
  });
}

function templateDto(t: store.TemplateRow): NotificationTemplateDto {
  return {
    id: t.id,
    eventType: t.event_type,
    channel: t.channel,
    language: t.language as Locale,
    publishedVersion: t.published_version,
    latestVersion: t.latest_version,
    createdAt: t.created_at.toISOString(),
    updatedAt: t.updated_at.toISOString(),
    version: t.version,
  };
}

function versionDto(v: store.TemplateVersionRow, published: number | null): TemplateVersionDto {
  return {
    number: v.number,
    subject: v.subject,
    body: v.body,
    whatsappTemplate: v.whatsapp_template,
    note: v.note,
    createdBy: v.created_by,
    createdAt: v.created_at.toISOString(),
    published: v.number === published,
  };
}

const keyOf = (k: { eventType: string; channel: string; language: string }) =>
  `${k.eventType}|${k.channel}|${k.language}`;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` laid on `under`: objects merge key by key, anything else replaces. */
function overlay(under: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...under };
  for (const [key, value] of Object.entries(over)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const below = out[key];
    out[key] = isPlainObject(value) && isPlainObject(below) ? overlay(below, value) : value;
  }
  return out;
}

export class TemplateService {
  private readonly d: TemplateDeps;

  constructor(deps: TemplateDeps) {
    this.d = deps;
  }

  /** The content, refused (one field error per problem) unless check() finds none. */
  private checked(key: TemplateKey, source: TemplateSource): TemplateContent {
    checkEventType(key.eventType);
    const content: TemplateContent = {
      subject: source.subject ?? null,
      body: source.body,
      whatsappTemplate: source.whatsappTemplate ?? null,
    };
    if (content.whatsappTemplate && key.channel !== 'whatsapp')
      throw invalidField('whatsappTemplate', 'channel', NOTIFICATIONS.whatsappOnly());
    const problems = this.d.engine.check(content, key.eventType, key.language);
    if (problems.length > 0)
      throw new AppError('validation-failed', NOTIFICATIONS.templateProblem(problemParams(problems[0]!)), {
        errors: problems.map((p) =>
          fieldError(p.field, 'template', NOTIFICATIONS.templateProblem(problemParams(p))),
        ),
      });
    return content;
  }

  /**
   * The organization's templates, and for every built-in (event, channel, language) the
   * organization has not made its own, the built-in entry: together, what each send may use.
   */
  async list(ctx: CallContext, q: { eventType?: string }): Promise<{ items: TemplateListItemDto[] }> {
    if (q.eventType !== undefined) checkEventType(q.eventType, 'query');
    const rows = await this.d.db.transaction(tenantScope(ctx), (tx) => store.listTemplates(tx, q.eventType));
    const own = new Set(rows.map((r) => keyOf({ eventType: r.event_type, ...r })));
    const items: TemplateListItemDto[] = rows.map((r) => ({
      eventType: r.event_type,
      channel: r.channel,
      language: r.language as Locale,
      source: 'organization',
      templateId: r.id,
      publishedVersion: r.published_version,
      latestVersion: r.latest_version,
    }));
    for (const b of BUILTIN_TEMPLATES) {
      if ((q.eventType !== undefined && b.eventType !== q.eventType) || own.has(keyOf(b))) continue;
      items.push({
        eventType: b.eventType,
        channel: b.channel,
        language: b.language,
        source: 'builtin',
        templateId: null,
        publishedVersion: null,
        latestVersion: null,
      });
    }
    const order = (i: TemplateListItemDto) => [i.eventType, i.channel, i.language].join('\u0000');
    items.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
    return { items };
  }

  async get(
    ctx: CallContext,
    id: string,
  ): Promise<NotificationTemplateDto & { versions: TemplateVersionDto[] }> {
    return this.d.db.transaction(tenantScope(ctx), async (tx) => {
      const t = await store.getTemplate(tx, id);
      if (!t) throw notFound('notificationTemplate');
      const versions = await store.templateVersions(tx, id);
      return { ...templateDto(t), versions: versions.map((v) => versionDto(v, t.published_version)) };
    });
  }

  /** A new immutable version (latest + 1), the template made on first save; published if asked. */
  async saveVersion(
    ctx: CallContext,
    body: TemplateKey & TemplateSource & { note?: string; publish?: boolean },
  ): Promise<{ template: NotificationTemplateDto; version: TemplateVersionDto }> {
    const content = this.checked(body, body);
    return this.d.audit.change(ctx, async (tx, record, scope) => {
      // Locked: two saves at once number their versions one after the other.
      const existing = await store.findTemplate(tx, body, true);
      const template =
        existing ??
        (await store.insertTemplate(tx, {
          orgId: scope.orgId,
          id: newId(),
          eventType: body.eventType,
          channel: body.channel,
          language: body.language,
        }));
      const number = template.latest_version + 1;
      const version = await store.insertTemplateVersion(tx, {
        orgId: scope.orgId,
        templateId: template.id,
        number,
        subject: content.subject,
        body: content.body,
        whatsappTemplate: content.whatsappTemplate,
        note: body.note ?? '',
        createdBy: scope.userId,
      });
      const previous = template.published_version;
      const published = body.publish ? number : previous;
      const after = await store.setTemplateVersions(tx, template.id, { latest: number, published });
      await record({
        action: 'notification_template.version',
        resourceType: 'notification_template',
        resourceId: template.id,
        metadata: { ...keyFields(after), version: number, created: existing === null },
      });
      if (body.publish) await recordPublish(record, after, previous);
      return { template: templateDto(after), version: versionDto(version, after.published_version) };
    });
  }

  /** Sends `number` from now on (an older one: the rollback). 404 for a version never saved. */
  async publish(
    ctx: CallContext,
    id: string,
    number: number,
    expectedVersion?: number,
  ): Promise<NotificationTemplateDto> {
    return this.d.audit.change(ctx, async (tx, record) => {
      const t = await this.locked(tx, id, expectedVersion);
      if (!(await store.templateVersion(tx, id, number))) throw notFound('notificationTemplateVersion');
      return setPublished(tx, record, t, number);
    });
  }

  /** No version sent any more: the built-in template (or the generic one) is sent again. */
  async unpublish(ctx: CallContext, id: string, expectedVersion?: number): Promise<NotificationTemplateDto> {
    return this.d.audit.change(ctx, async (tx, record) => {
      const t = await this.locked(tx, id, expectedVersion);
      return setPublished(tx, record, t, null);
    });
  }

  private async locked(tx: Sql, id: string, expectedVersion?: number): Promise<store.TemplateRow> {
    const t = await store.getTemplate(tx, id, true);
    if (!t) throw notFound('notificationTemplate');
    assertVersion(t.version, expectedVersion, 'notificationTemplate');
    return t;
  }

  /** The message a template makes from the event's sample data, with `variables` laid over it. */
  async preview(
    body: TemplateKey & TemplateSource & { variables?: Record<string, unknown> },
  ): Promise<RenderedMessage> {
    const content = this.checked(body, body);
    const variables = overlay(sampleVariables(body.eventType, body.language), body.variables ?? {});
    try {
      return await this.d.engine.render(content, variables, body.channel, { language: body.language });
    } catch (error) {
      // The given variables broke what the sample data rendered (e.g. past the memory limit).
      if (!(error instanceof TemplateRenderError)) throw error;
      const msg = NOTIFICATIONS.templateProblem(problemParams(error.problem));
      throw invalidField(error.problem.field, 'template', msg);
    }
  }

  /** What a template of `eventType` may use, with descriptions and sample values. */
  /** BUL's own text of a template: what is sent until a version is published, where editing starts. */
  builtin(q: { eventType: string; channel: DeliveryChannel; language: Locale }) {
    checkEventType(q.eventType, 'query');
    const t =
      builtinTemplate(q.eventType, q.channel, q.language) ??
      genericTemplate(q.eventType, q.channel, q.language);
    return {
      eventType: q.eventType,
      channel: q.channel,
      language: t.language,
      subject: t.subject,
      body: t.body,
      whatsappTemplate: t.whatsappTemplate,
    };
  }

  variables(eventType: string): { eventType: string; items: VariableDoc[] } {
    checkEventType(eventType, 'query');
    return { eventType, items: variablesOf(eventType) };
  }
}

const keyFields = (t: store.TemplateRow) => ({
  eventType: t.event_type,
  channel: t.channel,
  language: t.language,
});

async function recordPublish(record: RecordChange, t: store.TemplateRow, previous: number | null) {
  await record({
    action: 'notification_template.publish',
    resourceType: 'notification_template',
    resourceId: t.id,
    metadata: { ...keyFields(t), version: t.published_version, previousVersion: previous },
  });
}

/** Publishes `published` (null: none); already so, nothing changes and nothing is recorded. */
async function setPublished(
  tx: Sql,
  record: RecordChange,
  t: store.TemplateRow,
  published: number | null,
): Promise<NotificationTemplateDto> {
  if (t.published_version === published) return templateDto(t);
  const after = await store.setTemplateVersions(tx, t.id, { latest: t.latest_version, published });
  await recordPublish(record, after, t.published_version);
  return templateDto(after);
}
