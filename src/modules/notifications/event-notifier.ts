// The events dispatcher's handler for notifications: for each committed domain event, the
// organization's enabled rules for its type name recipients and channels; the planner makes one
// notification per recipient × channel (or a skip with its reason); they are stored in the
// dispatcher's transaction (so an event handled twice notifies once: the idempotency key is the
// event, the rule, the channel and the recipient), in-app ones are announced to their recipient
// over /ws (the personal event notification.created), and the delivery runners are woken.
import { newId, PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import { onCommit, type Sql } from '../../platform/db/transaction.ts';
import type { DomainEvent } from '../../platform/events/catalogue.ts';
import { emitEvents } from '../../platform/events/outbox.ts';
import { eventChannels, eventContext, orgProfile, resolveRecipients } from './audience.ts';
import { BUILTIN_RULES } from './builtin-rules.ts';
import type { DeliveryChannel, Priority, ProviderKind } from './channels/provider.ts';
import { type PlannerDeps, planNotifications } from './planner.ts';
import { wakeRunnersAfterCommit } from './runner.ts';
import * as store from './store.ts';

export interface NotifierDeps {
  planner: Omit<PlannerDeps, 'kinds'>;
  /** Whether the platform has a default e-mail relay (SMTP_HOST). */
  platformEmail: boolean;
  publicUrl: string;
  clock: () => Date;
}

/** Platform events notifications deliver (to the super admins); the others concern no organization's members. */
const PLATFORM_NOTIFIED = new Set(['alert.fired', 'alert.resolved', 'backup.failed']);

/** An alert's severity sets the priority of its notifications (a critical alert skips quiet hours). */
const ALERT_PRIORITY: Record<string, Priority> = {
  critical: 'critical',
  error: 'high',
  warning: 'normal',
  info: 'low',
};

/** Installs the built-in rules an organization lacks (new ones arrive with upgrades). */
export async function ensureBuiltinRules(sql: Sql, orgId: string): Promise<void> {
  for (const r of BUILTIN_RULES)
    await store.insertRule(
      sql,
      {
        orgId,
        id: newId(),
        builtinKey: r.key,
        name: r.name,
        eventType: r.eventType,
        recipients: r.recipients,
        channels: r.channels,
        priority: r.priority,
        notifyActor: r.notifyActor,
        enabled: true,
      },
      true,
    );
}

/** The channel kinds an organization can send on: its enabled providers and the platform e-mail. */
export async function sendableKinds(sql: Sql, platformEmail: boolean): Promise<Set<ProviderKind>> {
  const kinds = await store.configuredKinds(sql);
  if (platformEmail) kinds.add('email');
  return kinds;
}

export class EventNotifier {
  private readonly d: NotifierDeps;
  /** Organizations whose built-in rules this process has installed (once per process). */
  private readonly installed = new Set<string>();

  constructor(deps: NotifierDeps) {
    this.d = deps;
  }

  async ensureBuiltins(sql: Sql, orgId: string): Promise<void> {
    if (this.installed.has(orgId)) return;
    await ensureBuiltinRules(sql, orgId);
    // Remembered once they are committed: a transaction that rolls back installs nothing.
    onCommit(sql, () => this.installed.add(orgId));
  }

  /** Notifies whoever the organization's rules name for this event. Returns the rows stored. */
  async handle(
    tx: Sql,
    event: Pick<DomainEvent, 'id' | 'type' | 'orgId' | 'payload' | 'actor'>,
  ): Promise<number> {
    // The platform (nil organization) has no members, rules or channels of its own.
    if (event.orgId === PLATFORM_ORG_ID) return this.handlePlatform(tx, event);
    await this.ensureBuiltins(tx, event.orgId);
    const rules = await store.enabledRulesFor(tx, event.type);
    if (rules.length === 0) return 0;
    const ctx = await eventContext(tx, event);
    const org = await orgProfile(tx);
    const kinds = await sendableKinds(tx, this.d.platformEmail);
    const now = this.d.clock();
    const variables = {
      event: { id: event.id, type: event.type, occurredAt: now.toISOString() },
      payload: event.payload,
      resource: ctx.resource,
      actor: { name: ctx.actorName },
      org: { name: org.name },
      link: ctx.path ? `${this.d.publicUrl}${ctx.path}` : this.d.publicUrl,
    };
    const planned: store.NewNotification[] = [];
    for (const rule of rules) {
      // A rule that notifies whom the event names (alerts) also sends on the channels it names.
      const named = rule.recipients.some((r) => r.kind === 'event_recipients');
      const wanted = named ? eventChannels(event.payload) : null;
      const channels = wanted ? rule.channels.filter((c) => wanted.includes(c)) : rule.channels;
      const severity = named ? ALERT_PRIORITY[String(event.payload.severity)] : undefined;
      const priority = severity ?? rule.priority;
      if (channels.length === 0) continue;
      const recipients = (await resolveRecipients(tx, rule.recipients, event, ctx)).filter(
        (r) => rule.notify_actor || r.kind !== 'user' || r.userId !== event.actor.id,
      );
      planned.push(
        ...(await planNotifications(
          tx,
          {
            orgId: event.orgId,
            org,
            source: 'rule',
            batchId: null,
            eventId: event.id,
            eventType: event.type,
            ruleId: rule.id,
            priority,
            channels: channels as DeliveryChannel[],
            recipients,
            keyPrefix: `e:${event.id}:r:${rule.id}`,
            variables: { ...variables, priority },
            data: { event: { id: event.id, type: event.type }, payload: event.payload, link: variables.link },
            now,
          },
          { ...this.d.planner, kinds },
        )),
      );
    }
    return storePlanned(tx, event.orgId, planned, { type: 'system', id: null });
  }

  /**
   * A platform-wide alert (alert.fired, alert.resolved under the nil organization) goes to the
   * super admins: each is notified in their home organization (their oldest active membership),
   * by that organization's built-in alert rules and channels, as if the event named them. All on
   * the dispatcher's own transaction, switching `app.org_id` per home (transaction-local, as
   * bul_start_login_session does): a second pooled transaction per home while this one holds its
   * connection could wait forever for the pool. The rows commit with the dispatcher's "done" mark
   * (idempotent by event id); their keys (event, rule, recipient, channel) guard a redelivery too.
   */
  private async handlePlatform(
    tx: Sql,
    event: Pick<DomainEvent, 'id' | 'type' | 'orgId' | 'payload' | 'actor'>,
  ): Promise<number> {
    if (!PLATFORM_NOTIFIED.has(event.type) || event.payload.notify === false) return 0;
    const { rows } = await tx.query<{ org_id: string; user_ids: string[] }>(
      'SELECT org_id, user_ids FROM bul_super_admin_homes()',
    );
    let stored = 0;
    for (const home of rows) {
      await actFor(tx, home.org_id);
      stored += await this.handle(tx, {
        ...event,
        orgId: home.org_id,
        payload: { ...event.payload, recipients: [{ kind: 'users', userIds: home.user_ids }] },
      });
    }
    // Back to the platform: the dispatcher records its mark under the event's organization.
    if (rows.length > 0) await actFor(tx, event.orgId);
    return stored;
  }
}

/** Switches the transaction's tenant (row-level security) to `orgId` until it ends. */
async function actFor(tx: Sql, orgId: string): Promise<void> {
  await tx.query("SELECT set_config('app.org_id', $1, true)", [orgId]);
}

/**
 * Stores planned notifications, announces the in-app ones to their recipients (over /ws, through
 * the outbox) and wakes the runners after commit. Returns how many rows were new.
 */
export async function storePlanned(
  tx: Sql,
  orgId: string,
  planned: readonly store.NewNotification[],
  actor: { type: 'user' | 'api_key' | 'system'; id: string | null },
): Promise<number> {
  const inserted = await store.insertNotifications(tx, orgId, planned);
  if (inserted.length === 0) return 0;
  const fresh = new Set(inserted.map((r) => r.id));
  const inbox = planned.filter((n) => fresh.has(n.id) && n.channel === 'in_app' && n.status === 'delivered');
  if (inbox.length > 0)
    await emitEvents(
      tx,
      orgId,
      actor,
      inbox.map((n) => ({
        type: 'notification.created' as const,
        payload: {
          id: n.id,
          userId: n.recipientUserId!,
          eventType: n.eventType,
          priority: n.priority,
          subject: n.subject,
        },
      })),
    );
  if (planned.some((n) => fresh.has(n.id) && n.status === 'queued')) wakeRunnersAfterCommit(tx);
  return inserted.length;
}
