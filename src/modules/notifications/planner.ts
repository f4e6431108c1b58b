// From "these people should hear of this on these channels" to notification rows: per recipient
// and channel, the address, the recipient's preferences and opt-outs, consent for client contacts,
// whether the organization has a provider for the channel, quiet hours, the language, the
// template (the organization's published version, else the built-in one) rendered for that
// recipient, and an idempotency key so the same plan never notifies twice. What cannot be sent is
// still recorded, as skipped with its reason. Used by the event rules and by the send and
// broadcast API alike.
import { createHash } from 'node:crypto';
import { newId } from '../../platform/db/ids.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import type { ContactRecipient, MemberRecipient, OrgProfile, Recipient } from './audience.ts';
import type { DeliveryChannel, Priority, ProviderKind, RenderedMessage } from './channels/provider.ts';
import { holdUntil } from './quiet-hours.ts';
import * as store from './store.ts';
import { builtinTemplate, genericTemplate } from './templates/builtin.ts';
import type { TemplateContent, TemplateEngine } from './templates/engine.ts';

export const LANGUAGES = ['en', 'es', 'pt-BR'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Channels that post once to a URL the organization configured, not to each recipient. */
export const TEAM_CHANNELS: ReadonlySet<DeliveryChannel> = new Set(['webhook', 'slack', 'teams', 'discord']);

export function languageOf(locale: string | null | undefined, fallback: string): Language {
  const pick = (l: string | null | undefined): Language | null => {
    if (!l) return null;
    if ((LANGUAGES as readonly string[]).includes(l)) return l as Language;
    const base = l.split('-')[0]!.toLowerCase();
    if (base === 'pt') return 'pt-BR';
    if (base === 'es' || base === 'en') return base;
    return null;
  };
  return pick(locale) ?? pick(fallback) ?? 'en';
}

export interface Plan {
  orgId: string;
  org: OrgProfile;
  source: store.NotificationRow['source'];
  batchId: string | null;
  eventId: string | null;
  eventType: string;
  ruleId: string | null;
  priority: Priority;
  channels: readonly DeliveryChannel[];
  recipients: readonly Recipient[];
  /** Makes the idempotency keys: the same prefix, recipient and channel never notify twice. */
  keyPrefix: string;
  /** Variables every recipient's template sees (event, payload, resource, actor, org, link). */
  variables: Record<string, unknown>;
  /** A one-off message instead of the event's templates. */
  content?: TemplateContent | null;
  /** Structured data for machine receivers (the webhook channel's `data`, push `data`). */
  data: Record<string, unknown>;
  now: Date;
}

export interface PlannerDeps {
  engine: TemplateEngine;
  /** The kinds the organization can send on (its enabled providers, plus the platform's e-mail). */
  kinds: ReadonlySet<ProviderKind>;
  unsubscribeUrl(o: {
    orgId: string;
    userId?: string;
    contactId?: string;
    eventType: string;
    channel: string;
  }): string;
}

/** What every notification of a plan shares, with its channel and idempotency key. */
type NotificationBase = Pick<
  store.NewNotification,
  | 'idempotencyKey'
  | 'source'
  | 'batchId'
  | 'eventId'
  | 'eventType'
  | 'ruleId'
  | 'channel'
  | 'priority'
  | 'data'
>;

type Published = Awaited<ReturnType<typeof store.publishedTemplatesOf>>[number];

/** The notifications of a plan, ready for store.insertNotifications (skips included). */
export async function planNotifications(
  sql: Sql,
  plan: Plan,
  deps: PlannerDeps,
): Promise<store.NewNotification[]> {
  const members = plan.recipients.filter((r): r is MemberRecipient => r.kind === 'user');
  const contacts = plan.recipients.filter((r): r is ContactRecipient => r.kind === 'contact');
  const userIds = members.map((m) => m.userId);
  // One client runs one query at a time: these go one after the other.
  const prefs = await store.preferencesOf(sql, userIds);
  const settings = await store.settingsOf(sql, userIds);
  const addresses = await store.addressesOf(sql, userIds);
  const optOuts = await store.contactOptOuts(
    sql,
    contacts.map((c) => c.contactId),
  );
  const published: Published[] = plan.content ? [] : await store.publishedTemplatesOf(sql, plan.eventType);
  const addressesOf = new Map<string, string[]>();
  for (const a of addresses) {
    const key = `${a.user_id}|${a.channel}`;
    addressesOf.set(key, [...(addressesOf.get(key) ?? []), a.address]);
  }
  const prefOf = new Map(prefs.map((p) => [`${p.user_id}|${p.event_type}|${p.channel}`, p.enabled]));
  const settingsOf = new Map(settings.map((s) => [s.user_id, s]));
  const out: store.NewNotification[] = [];

  const templateFor = (channel: DeliveryChannel, language: Language) => {
    if (plan.content) return { content: plan.content, templateId: null, version: null };
    for (const lang of [language, languageOf(plan.org.locale, 'en')]) {
      const own = published.find((t) => t.channel === channel && t.language === lang);
      if (own)
        return {
          content: { subject: own.subject, body: own.body, whatsappTemplate: own.whatsapp_template },
          templateId: own.template_id,
          version: own.number,
        };
    }
    const builtin =
      builtinTemplate(plan.eventType, channel, language) ??
      genericTemplate(plan.eventType, channel, language);
    return builtin
      ? {
          content: {
            subject: builtin.subject,
            body: builtin.body,
            whatsappTemplate: builtin.whatsappTemplate,
          },
          templateId: null,
          version: null,
        }
      : null;
  };

  const base = (channel: DeliveryChannel, recipientKey: string): NotificationBase => ({
    idempotencyKey: `${plan.keyPrefix}:${channel}:${recipientKey}`,
    source: plan.source,
    batchId: plan.batchId,
    eventId: plan.eventId,
    eventType: plan.eventType,
    ruleId: plan.ruleId,
    channel,
    priority: plan.priority,
    data: plan.data,
  });
  const skip = (
    channel: DeliveryChannel,
    recipientKey: string,
    who: { userId?: string; contactId?: string; name: string | null },
    reason: string,
    language: Language,
  ): store.NewNotification => ({
    ...base(channel, recipientKey),
    id: newId(),
    recipientUserId: who.userId ?? null,
    recipientContactId: who.contactId ?? null,
    recipientName: who.name,
    address: null,
    language,
    subject: null,
    body: '',
    html: null,
    whatsappTemplate: null,
    templateId: null,
    templateVersion: null,
    status: 'skipped',
    skipReason: reason,
    nextAttemptAt: null,
    heldUntil: null,
  });

  const render = async (
    channel: DeliveryChannel,
    language: Language,
    variables: Record<string, unknown>,
    timeZone: string = plan.org.timezone,
  ): Promise<{ message: RenderedMessage; templateId: string | null; version: number | null } | string> => {
    const t = templateFor(channel, language);
    if (!t) return 'no_template';
    try {
      const message = await deps.engine.render(t.content, variables, channel, { language, timeZone });
      return { message, templateId: t.templateId, version: t.version };
    } catch {
      return 'template_error';
    }
  };

  const available = (channel: DeliveryChannel) =>
    channel === 'in_app' || deps.kinds.has(channel as ProviderKind);

  // Team channels: one post per plan, whoever the recipients are.
  for (const channel of plan.channels.filter((c) => TEAM_CHANNELS.has(c))) {
    const language = languageOf(plan.org.locale, 'en');
    if (!available(channel)) {
      out.push(skip(channel, '-', { name: null }, 'channel_not_configured', language));
      continue;
    }
    const rendered = await render(channel, language, {
      ...plan.variables,
      recipient: { name: plan.org.name },
    });
    if (typeof rendered === 'string') {
      out.push(skip(channel, '-', { name: null }, rendered, language));
      continue;
    }
    out.push(queued(base(channel, '-'), { name: null }, null, language, rendered, plan.now, null));
  }

  for (const m of members) {
    const language = languageOf(m.locale, plan.org.locale);
    const s = settingsOf.get(m.userId);
    const quiet =
      s?.quiet_start && s.quiet_end
        ? { start: s.quiet_start, end: s.quiet_end, timeZone: s.timezone ?? plan.org.timezone }
        : null;
    const who = { userId: m.userId, name: m.name };
    for (const channel of plan.channels) {
      if (TEAM_CHANNELS.has(channel)) continue;
      const key = `u:${m.userId}`;
      if (!wants(prefOf, m.userId, plan.eventType, channel)) {
        out.push(skip(channel, key, who, 'opted_out', language));
        continue;
      }
      if (!available(channel)) {
        out.push(skip(channel, key, who, 'channel_not_configured', language));
        continue;
      }
      const targets =
        channel === 'in_app'
          ? [null]
          : channel === 'email'
            ? [m.email]
            : (addressesOf.get(`${m.userId}|${channel}`) ?? []);
      if (targets.length === 0) {
        out.push(skip(channel, key, who, 'no_address', language));
        continue;
      }
      const unsubscribeUrl =
        channel === 'email'
          ? deps.unsubscribeUrl({ orgId: plan.orgId, userId: m.userId, eventType: plan.eventType, channel })
          : null;
      const rendered = await render(
        channel,
        language,
        { ...plan.variables, recipient: { name: m.name, email: m.email }, unsubscribeUrl },
        s?.timezone ?? plan.org.timezone,
      );
      if (typeof rendered === 'string') {
        out.push(skip(channel, key, who, rendered, language));
        continue;
      }
      // The inbox is silent: quiet hours hold what would ring or buzz, not the in-app list.
      const held = channel === 'in_app' ? null : safeHold(plan.now, plan.priority, quiet);
      for (const address of targets) {
        const targetKey = targets.length > 1 || channel === 'push' ? `${key}:${digest(address ?? '')}` : key;
        out.push(queued(base(channel, targetKey), who, address, language, rendered, plan.now, held));
      }
    }
  }

  for (const c of contacts) {
    const language = languageOf(null, plan.org.locale);
    const who = { contactId: c.contactId, name: c.name };
    for (const channel of plan.channels) {
      if (TEAM_CHANNELS.has(channel)) continue;
      const key = `c:${c.contactId}`;
      const address =
        channel === 'email' ? c.email : channel === 'sms' || channel === 'whatsapp' ? c.phone : null;
      const reason =
        channel === 'in_app' || channel === 'push'
          ? 'not_a_member'
          : !c.consent
            ? 'no_consent'
            : optOuts.has(`${c.contactId}:${channel}`)
              ? 'opted_out'
              : !address
                ? 'no_address'
                : !available(channel)
                  ? 'channel_not_configured'
                  : null;
      if (reason) {
        out.push(skip(channel, key, who, reason, language));
        continue;
      }
      const unsubscribeUrl =
        channel === 'email'
          ? deps.unsubscribeUrl({
              orgId: plan.orgId,
              contactId: c.contactId,
              eventType: plan.eventType,
              channel,
            })
          : null;
      const rendered = await render(channel, language, {
        ...plan.variables,
        recipient: { name: c.name, email: c.email },
        unsubscribeUrl,
      });
      if (typeof rendered === 'string') {
        out.push(skip(channel, key, who, rendered, language));
        continue;
      }
      out.push(queued(base(channel, key), who, address, language, rendered, plan.now, null));
    }
  }
  return out;
}

function queued(
  b: NotificationBase,
  who: { userId?: string; contactId?: string; name: string | null },
  address: string | null,
  language: Language,
  r: { message: RenderedMessage; templateId: string | null; version: number | null },
  now: Date,
  held: Date | null,
): store.NewNotification {
  return {
    ...b,
    id: newId(),
    recipientUserId: who.userId ?? null,
    recipientContactId: who.contactId ?? null,
    recipientName: who.name,
    address,
    language,
    subject: r.message.subject,
    body: r.message.text,
    html: r.message.html,
    whatsappTemplate: r.message.whatsappTemplate,
    templateId: r.templateId,
    templateVersion: r.version,
    // The inbox needs no provider: it is delivered by being stored (and pushed over /ws).
    status: b.channel === 'in_app' ? 'delivered' : 'queued',
    skipReason: null,
    nextAttemptAt: b.channel === 'in_app' ? null : (held ?? now),
    heldUntil: held,
  };
}

/**
 * Quiet hours' hold, or none when the zone is one the runtime cannot read (PostgreSQL may accept
 * a zone name ICU does not): the notification goes out rather than the whole plan failing.
 */
function safeHold(now: Date, priority: Priority, quiet: Parameters<typeof holdUntil>[2]): Date | null {
  try {
    return holdUntil(now, priority, quiet);
  } catch {
    return null;
  }
}

/** A member's choice for an event type and channel: the most specific preference wins; default on. */
export function wants(
  prefs: ReadonlyMap<string, boolean>,
  userId: string,
  eventType: string,
  channel: string,
) {
  for (const key of [
    `${userId}|${eventType}|${channel}`,
    `${userId}|${eventType}|*`,
    `${userId}|*|${channel}`,
    `${userId}|*|*`,
  ]) {
    const v = prefs.get(key);
    if (v !== undefined) return v;
  }
  return true;
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 16);
