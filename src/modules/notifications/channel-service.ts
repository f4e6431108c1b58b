// An organization's notification channels: the providers of each kind (an SMTP relay, a Twilio
// account, a Slack incoming webhook...) in failover order, with their settings and sealed
// credentials. Settings and credentials are checked at save against the kind's adapter schemas
// (errors name `config.<field>` / `secrets.<field>`), and every URL BUL will call passes the SSRF
// guard unless the installation allows private addresses. Credentials are sealed with the master
// key under the channel's own context and never leave: not in answers, logs or audit changes
// (audit says only which credential fields changed). A test send renders the built-in test
// message for the caller and sends it synchronously through that one channel, recorded in the
// delivery log like any notification (source `test`).
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, type FieldError, fieldError, invalidField, notFound } from '../../platform/errors.ts';
import { Email } from '../../platform/http/common-schemas.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { schemaErrors } from '../../platform/http/validation.ts';
import type { Msg } from '../../platform/i18n/message.ts';
import { BlockedAddressError, hostOf, resolveChecked } from '../../platform/outbound/address-guard.ts';
import type { AuditService, Changes } from '../audit/service.ts';
import { orgProfile } from './audience.ts';
import {
  type ChannelTestResultDto,
  type CreateChannelInput,
  MAX_PROVIDERS_PER_KIND,
  type NotificationChannelDto,
  type TestChannelInput,
  type UpdateChannelInput,
} from './channel-schemas.ts';
import type { OutboundMessage, ProviderKind } from './channels/provider.ts';
import { type ReadyProvider, readyProvider, secretsContext, sendThrough } from './delivery.ts';
import { NOTIFICATION_CHANNELS } from './messages.ts';
import { languageOf, TEAM_CHANNELS } from './planner.ts';
import type { ProviderRegistry } from './providers.ts';
import * as store from './store.ts';
import { builtinTemplate } from './templates/builtin.ts';
import type { TemplateEngine } from './templates/engine.ts';

export interface ChannelDeps {
  db: Db;
  box: SecretBox;
  audit: AuditService;
  providers: ProviderRegistry;
  engine: TemplateEngine;
  publicUrl: string;
  timeoutMs: number;
  allowPrivate: boolean;
  clock: () => Date;
}

/** Kinds whose provider reports back to BUL (statuses, replies) at the channel's callback URL. */
const WITH_CALLBACKS: ReadonlySet<ProviderKind> = new Set(['sms', 'whatsapp']);

/** Where each kind keeps URLs BUL calls: checked against the SSRF guard at save. */
const URL_FIELDS: Record<ProviderKind, { config: string[]; secrets: string[] }> = {
  email: { config: [], secrets: [] }, // SMTP relays are often internal (smtp-email.ts)
  sms: { config: ['baseUrl'], secrets: [] },
  whatsapp: { config: ['baseUrl'], secrets: [] },
  push: { config: ['baseUrl', 'tokenUrl'], secrets: [] },
  webhook: { config: ['url'], secrets: [] },
  slack: { config: [], secrets: ['url'] },
  teams: { config: [], secrets: ['url'] },
  discord: { config: [], secrets: ['url'] },
};

const E164 = /^\+[1-9][0-9]{6,14}$/;
const TEST_EVENT = 'notification.test';

type Secrets = Record<string, string>;

/** What audit changes show of a channel (credentials only by field name: secretChanges). */
const AUDIT_FIELDS = ['kind', 'name', 'position', 'enabled', 'config'] as const;

export class ChannelService {
  private readonly d: ChannelDeps;

  constructor(deps: ChannelDeps) {
    this.d = deps;
  }

  private callbackUrl(kind: ProviderKind, id: string): string | null {
    return WITH_CALLBACKS.has(kind) ? `${this.d.publicUrl}/api/v1/notifications/callbacks/${id}` : null;
  }

  /** The stored credentials, opened; null when they cannot be (sealed under another master key). */
  private open(row: store.ChannelRow): Secrets | null {
    if (!row.secrets_sealed) return {};
    try {
      return JSON.parse(this.d.box.open(row.secrets_sealed, secretsContext(row.org_id, row.id)).toString());
    } catch {
      return null;
    }
  }

  private seal(orgId: string, id: string, secrets: Secrets): string | null {
    return Object.keys(secrets).length === 0
      ? null
      : this.d.box.seal(JSON.stringify(secrets), secretsContext(orgId, id));
  }

  private dto(row: store.ChannelRow, secrets: Secrets | null = this.open(row)): NotificationChannelDto {
    return {
      id: row.id,
      kind: row.kind,
      name: row.name,
      position: row.position,
      enabled: row.enabled,
      config: row.config,
      hasSecrets: row.secrets_sealed !== null,
      secretFields: secrets ? Object.keys(secrets).sort() : [],
      callbackUrl: this.callbackUrl(row.kind, row.id),
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
      version: row.version,
    };
  }

  /** Settings and credentials against the kind's schemas (defaults filled in), as field errors. */
  private schemaProblems(
    kind: ProviderKind,
    config: Record<string, unknown> | undefined,
    secrets: Secrets | undefined,
  ): FieldError[] {
    const provider = this.d.providers[kind];
    const under = (prefix: string, list: FieldError[]) =>
      list.map((e) => ({ ...e, field: e.field === '(root)' ? prefix : `${prefix}.${e.field}` }));
    const errors = [
      ...(config ? under('config', schemaErrors(provider.configSchema, config)) : []),
      ...(secrets ? under('secrets', schemaErrors(provider.secretsSchema, secrets)) : []),
    ];
    if (kind === 'push' && typeof secrets?.serviceAccountJson === 'string')
      if (serviceAccountTokenUri(secrets.serviceAccountJson) === false)
        errors.push(
          fieldError(
            'secrets.serviceAccountJson',
            'serviceAccount',
            NOTIFICATION_CHANNELS.badServiceAccount(),
          ),
        );
    return errors;
  }

  /**
   * Checks what a save gives: the schemas, then the URLs BUL will call among the fields given
   * (`secretNames`: the credential fields given) against the SSRF guard. One error names them all.
   */
  private async check(
    kind: ProviderKind,
    config: Record<string, unknown> | undefined,
    secrets: Secrets | undefined,
    secretNames: ReadonlySet<string> = new Set(Object.keys(secrets ?? {})),
  ): Promise<void> {
    const errors = this.schemaProblems(kind, config, secrets);
    if (errors.length === 0) {
      const urls: [string, unknown][] = [
        ...(config ? URL_FIELDS[kind].config.map((f): [string, unknown] => [`config.${f}`, config[f]]) : []),
        ...URL_FIELDS[kind].secrets
          .filter((f) => secretNames.has(f))
          .map((f): [string, unknown] => [`secrets.${f}`, secrets?.[f]]),
      ];
      // FCM tokens come from the key file's token_uri unless config.tokenUrl overrides it.
      const keyFile = secretNames.has('serviceAccountJson') ? secrets?.serviceAccountJson : undefined;
      const tokenUri = kind === 'push' && keyFile ? serviceAccountTokenUri(keyFile) : null;
      if (tokenUri && config?.tokenUrl === undefined) urls.push(['secrets.serviceAccountJson', tokenUri]);
      for (const [field, value] of urls) {
        if (typeof value !== 'string') continue;
        const problem = await this.urlProblem(value);
        if (problem) errors.push(fieldError(field, problem.rule, problem.msg));
      }
      // An organization's SMTP relay is a host BUL connects to like any URL: the same guard (the
      // platform's own relay, SMTP_HOST, is the installation's and is not checked).
      if (kind === 'email' && typeof config?.host === 'string') {
        const problem = await this.urlProblem(
          `http://${config.host.includes(':') ? `[${config.host}]` : config.host}/`,
        );
        if (problem) errors.push(fieldError('config.host', problem.rule, problem.msg));
      }
    }
    throwIfAny(errors);
  }

  /** Why BUL must not call a URL (not http(s), credentials in it, a non-public host), or null. */
  private async urlProblem(text: string): Promise<{ rule: string; msg: Msg } | null> {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return { rule: 'url', msg: NOTIFICATION_CHANNELS.badUrl() };
    }
    if (
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.username ||
      url.password ||
      !url.hostname
    )
      return { rule: 'url', msg: NOTIFICATION_CHANNELS.badUrl() };
    if (this.d.allowPrivate) return null;
    const host = hostOf(url);
    try {
      await resolveChecked(host, false);
      return null;
    } catch (err) {
      if (err instanceof BlockedAddressError)
        return {
          rule: 'publicAddress',
          msg: NOTIFICATION_CHANNELS.privateAddress({ host, address: err.address }),
        };
      return { rule: 'resolvable', msg: NOTIFICATION_CHANNELS.hostNotFound({ host }) };
    }
  }

  /**
   * Puts `id` at `position` among its kind's providers and renumbers the others 1..n in their
   * order (no gaps, no duplicates). Returns the position `id` gets.
   */
  private async place(
    tx: Sql,
    kind: ProviderKind,
    id: string,
    position: number | undefined,
  ): Promise<number> {
    const others = (await store.channelsOfKind(tx, kind)).filter((c) => c.id !== id);
    const index = Math.min(Math.max((position ?? others.length + 1) - 1, 0), others.length);
    for (const [i, c] of others.entries())
      await store.setChannelPosition(tx, c.id, i < index ? i + 1 : i + 2);
    return index + 1;
  }

  async list(ctx: CallContext): Promise<{ items: NotificationChannelDto[] }> {
    const rows = await this.d.db.transaction(tenantScope(ctx), (tx) => store.listChannels(tx));
    return { items: rows.map((r) => this.dto(r)) };
  }

  async get(ctx: CallContext, id: string): Promise<NotificationChannelDto> {
    const row = await this.d.db.transaction(tenantScope(ctx), (tx) => store.getChannel(tx, id));
    if (!row) throw notFound('notificationChannel');
    return this.dto(row);
  }

  async create(ctx: CallContext, body: CreateChannelInput): Promise<NotificationChannelDto> {
    const config = structuredClone(body.config ?? {});
    const secrets = { ...(body.secrets ?? {}) };
    await this.check(body.kind, config, secrets);
    const id = newId();
    return this.d.audit.change(ctx, async (tx, record, scope) => {
      await store.lockChannelKind(tx, body.kind);
      const existing = await store.channelsOfKind(tx, body.kind);
      if (existing.length >= MAX_PROVIDERS_PER_KIND)
        throw new AppError(
          'conflict',
          NOTIFICATION_CHANNELS.tooManyProviders({ limit: MAX_PROVIDERS_PER_KIND, kind: body.kind }),
        );
      const position = await this.place(tx, body.kind, id, body.position);
      const row = await store.insertChannel(tx, {
        orgId: scope.orgId,
        id,
        kind: body.kind,
        name: body.name,
        position,
        config,
        secretsSealed: this.seal(scope.orgId, id, secrets),
        enabled: body.enabled ?? true,
      });
      await record({
        action: 'notification_channel.create',
        resourceType: 'notification_channel',
        resourceId: id,
        changes: { ...auditChanges(null, row), ...secretChanges({}, secrets) },
      });
      return this.dto(row, secrets);
    });
  }

  async update(
    ctx: CallContext,
    id: string,
    body: UpdateChannelInput,
    expectedVersion?: number,
  ): Promise<NotificationChannelDto> {
    if (body.secrets && body.secretsPatch)
      throw invalidField('secretsPatch', 'oneOf', NOTIFICATION_CHANNELS.secretsOrPatch());
    const s = tenantScope(ctx);
    // The kind decides the schemas (it never changes): read it, then check outside the
    // transaction, since resolving hosts may be slow.
    const current = await this.d.db.transaction(s, (tx) => store.getChannel(tx, id));
    if (!current) throw notFound('notificationChannel');
    assertVersion(current.version, expectedVersion, 'notificationChannel');
    const config = body.config === undefined ? undefined : structuredClone(body.config);
    const patch = body.secretsPatch;
    const given = body.secrets ?? patch;
    const touched = new Set(Object.entries(given ?? {}).flatMap(([k, v]) => (v === null ? [] : [k])));
    const merged = (stored: store.ChannelRow): Secrets | undefined => {
      if (body.secrets) return { ...body.secrets };
      if (!patch) return undefined;
      const opened = this.open(stored);
      if (!opened) throw new AppError('conflict', NOTIFICATION_CHANNELS.credentialsUnreadable());
      const out = { ...opened };
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete out[k];
        else out[k] = v;
      }
      return out;
    };
    await this.check(current.kind, config, merged(current), touched);
    return this.d.audit.change(ctx, async (tx, record, scope) => {
      await store.lockChannelKind(tx, current.kind);
      const before = await store.getChannel(tx, id, true);
      if (!before) throw notFound('notificationChannel');
      assertVersion(before.version, expectedVersion, 'notificationChannel');
      const beforeSecrets = this.open(before);
      // A patch applies to the credentials stored now (another save may have come in between).
      const secrets = merged(before);
      if (patch) throwIfAny(this.schemaProblems(before.kind, undefined, secrets));
      const position =
        body.position === undefined || body.position === before.position
          ? before.position
          : await this.place(tx, before.kind, id, body.position);
      const after = await store.updateChannel(tx, id, {
        name: body.name ?? before.name,
        position,
        config: config ?? before.config,
        secretsSealed: secrets === undefined ? before.secrets_sealed : this.seal(scope.orgId, id, secrets),
        enabled: body.enabled ?? before.enabled,
      });
      const changes = {
        ...auditChanges(before, after),
        ...(secrets === undefined ? {} : secretChanges(beforeSecrets ?? {}, secrets, beforeSecrets === null)),
      };
      await record({
        action: 'notification_channel.update',
        resourceType: 'notification_channel',
        resourceId: id,
        changes: Object.keys(changes).length > 0 ? changes : null,
      });
      return this.dto(after, secrets ?? beforeSecrets);
    });
  }

  async delete(ctx: CallContext, id: string, expectedVersion?: number): Promise<void> {
    await this.d.audit.change(ctx, async (tx, record) => {
      const found = await store.getChannel(tx, id);
      if (!found) throw notFound('notificationChannel');
      await store.lockChannelKind(tx, found.kind);
      const before = await store.getChannel(tx, id, true);
      if (!before) throw notFound('notificationChannel');
      assertVersion(before.version, expectedVersion, 'notificationChannel');
      await store.deleteChannel(tx, id);
      // The providers after it move up: positions stay 1..n.
      const rest = await store.channelsOfKind(tx, before.kind);
      for (const [i, c] of rest.entries()) await store.setChannelPosition(tx, c.id, i + 1);
      await record({
        action: 'notification_channel.delete',
        resourceType: 'notification_channel',
        resourceId: id,
        changes: auditChanges(before, null),
      });
    });
  }

  /**
   * Sends the built-in test message, rendered for the caller, through this channel only, now;
   * records it as a notification (source `test`) with its attempt, and says how it went (200
   * whatever the provider answered).
   */
  async test(ctx: CallContext, id: string, body: TestChannelInput): Promise<ChannelTestResultDto> {
    const s = tenantScope(ctx);
    const p = ctx.principal;
    const loaded = await this.d.db.transaction(s, async (tx) => {
      const row = await store.getChannel(tx, id);
      return row ? { row, org: await orgProfile(tx) } : null;
    });
    if (!loaded) throw notFound('notificationChannel');
    const { row, org } = loaded;
    const to = this.testAddress(row.kind, body.to, p.email);
    let ready: ReadyProvider;
    try {
      ready = readyProvider(
        {
          ...this.d,
          callbackUrl: (channelId) => `${this.d.publicUrl}/api/v1/notifications/callbacks/${channelId}`,
        },
        row,
      );
    } catch {
      throw new AppError('conflict', NOTIFICATION_CHANNELS.credentialsUnreadable());
    }

    const language = languageOf(p.locale, org.locale);
    const template = builtinTemplate(TEST_EVENT, row.kind, language)!;
    const notificationId = newId();
    const now = this.d.clock();
    const rendered = await this.d.engine.render(
      template,
      {
        event: { id: notificationId, type: TEST_EVENT, occurredAt: now.toISOString() },
        actor: { name: p.name },
        recipient: { name: p.name, email: p.email },
        org: { name: org.name },
        link: this.d.publicUrl,
        unsubscribeUrl: '',
        priority: 'high',
        payload: { channel: row.kind },
        resource: {},
      },
      row.kind,
      { language, timeZone: org.timezone },
    );
    const n: store.NewNotification = {
      id: notificationId,
      idempotencyKey: `test:${notificationId}`,
      source: 'test',
      batchId: null,
      eventId: null,
      eventType: TEST_EVENT,
      ruleId: null,
      recipientUserId: p.kind === 'api_key' ? null : s.userId,
      recipientContactId: null,
      recipientName: p.name,
      address: to,
      channel: row.kind,
      priority: 'high',
      language,
      subject: rendered.subject,
      body: rendered.text,
      html: rendered.html,
      whatsappTemplate: rendered.whatsappTemplate,
      data: { channelId: row.id, test: true },
      templateId: null,
      templateVersion: null,
      // Inserted as being sent (no lease: runners never claim it) and settled in the same
      // transaction, after the provider answered: the log shows the final state with its attempt.
      status: 'sending' as store.NewNotification['status'],
      skipReason: null,
      nextAttemptAt: null,
      heldUntil: null,
    };
    const message: OutboundMessage = {
      id: notificationId,
      orgId: s.orgId,
      eventType: TEST_EVENT,
      priority: 'high',
      to,
      recipientName: p.name,
      message: rendered,
      unsubscribeUrl: null,
      data: n.data,
      createdAt: now.toISOString(),
    };
    const { attempts, final } = await sendThrough([ready], message, this.d);
    const attempt = { ...attempts[0]!, attempt: 1 };
    const result = final!;
    const sent = result.outcome === 'sent';
    const status: store.NotificationStatus = sent
      ? TEAM_CHANNELS.has(row.kind)
        ? 'delivered'
        : 'sent'
      : 'failed';
    await this.d.audit.change(ctx, async (tx, record) => {
      await store.insertNotifications(tx, s.orgId, [n]);
      await store.settleTestSend(tx, notificationId, {
        status,
        channelId: row.id,
        providerMessageId: attempt.providerMessageId,
        lastError: attempt.error,
        lastStatusCode: attempt.statusCode,
      });
      await store.insertAttempts(tx, s.orgId, notificationId, [attempt]);
      await record({
        action: 'notification_channel.test',
        resourceType: 'notification_channel',
        resourceId: row.id,
        outcome: sent ? 'success' : 'failure',
        metadata: {
          kind: row.kind,
          notificationId,
          outcome: result.outcome,
          statusCode: attempt.statusCode,
          errorCode: attempt.errorCode,
        },
      });
    });
    return {
      ok: sent,
      outcome: result.outcome,
      statusCode: attempt.statusCode,
      errorCode: attempt.errorCode,
      error: attempt.error,
      latencyMs: attempt.latencyMs,
      providerMessageId: attempt.providerMessageId,
      notificationId,
    };
  }

  /** The address a test goes to: the one given, checked for the kind; e-mail defaults to the caller's. */
  private testAddress(kind: ProviderKind, to: string | undefined, callerEmail: string): string | null {
    if (TEAM_CHANNELS.has(kind)) {
      if (to !== undefined) throw invalidField('to', 'absent', NOTIFICATION_CHANNELS.noAddress({ kind }));
      return null;
    }
    if (kind === 'email') {
      const address = to ?? callerEmail;
      throwIfAny(schemaErrors(Email, address).map((e) => ({ ...e, field: 'to' })));
      return address;
    }
    if (to === undefined)
      throw invalidField('to', 'required', NOTIFICATION_CHANNELS.addressRequired({ kind }));
    if ((kind === 'sms' || kind === 'whatsapp') && !E164.test(to))
      throw invalidField('to', 'phone', NOTIFICATION_CHANNELS.badPhone());
    return to;
  }
}

function throwIfAny(errors: FieldError[]): void {
  if (errors.length > 0)
    throw new AppError('validation-failed', errors[0]!.msg ?? errors[0]!.message, { errors });
}

/** The token endpoint a service account key names: null when none, false when it is not a key. */
function serviceAccountTokenUri(text: string): string | null | false {
  let sa: unknown;
  try {
    sa = JSON.parse(text);
  } catch {
    return false;
  }
  const o = sa as Record<string, unknown> | null;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.project_id !== 'string' ||
    typeof o.client_email !== 'string' ||
    typeof o.private_key !== 'string'
  )
    return false;
  return typeof o.token_uri === 'string' ? o.token_uri : null;
}

function auditChanges(before: store.ChannelRow | null, after: store.ChannelRow | null): Changes {
  const changes: Changes = {};
  for (const f of AUDIT_FIELDS) {
    const b = before ? before[f] : null;
    const a = after ? after[f] : null;
    if (JSON.stringify(b) !== JSON.stringify(a)) changes[f] = { before: b ?? null, after: a ?? null };
  }
  return changes;
}

/**
 * Which credential fields were set, changed or removed, by name only: `secrets` is the list of
 * field names before and after, and `secretsChanged` the names whose value changed. Never values.
 */
function secretChanges(before: Secrets, after: Secrets, unreadable = false): Changes {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changed = unreadable ? Object.keys(after).sort() : names.filter((k) => before[k] !== after[k]);
  if (changed.length === 0) return {};
  return {
    secretFields: { before: Object.keys(before).sort(), after: Object.keys(after).sort() },
    secretsChanged: { before: null, after: changed },
  };
}
