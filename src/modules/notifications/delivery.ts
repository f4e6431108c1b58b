// One attempt at one claimed notification: its channel's providers in failover order (the
// organization's, then for e-mail the platform's SMTP_* relay when the organization has none),
// each tried until one accepts; a refusal for good stops at once; otherwise the next try is
// scheduled with backoff and jitter (never sooner than a provider's Retry-After), and when the
// schedule is spent the notification is dead-lettered (replayable). Every provider call is an
// attempt row. The provider calls run outside any transaction; the outcome is written after,
// only while this runner's claim still holds (a runner that lost its lease writes nothing).
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import { newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { ChannelProvider, OutboundMessage, ProviderKind, SendResult } from './channels/provider.ts';
import { nextRetryAt } from './delivery-retry.ts';
import * as store from './store.ts';

/** A provider ready to call: the organization's channel row, or the platform's default e-mail. */
export interface ReadyProvider {
  channelId: string | null;
  provider: ChannelProvider;
  config: Record<string, unknown>;
  secrets: Record<string, string>;
}

export interface DeliveryDeps {
  db: Db;
  box: SecretBox;
  providers: Readonly<Record<ProviderKind, ChannelProvider>>;
  /** The platform's e-mail relay (SMTP_*), for organizations without an e-mail channel. */
  platformEmail: ReadyProvider | null;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Time for one round of providers before the rest wait for the next round (below the lease). */
  sendBudgetMs: number;
  /** The public URL a channel's provider reports statuses to (Twilio's StatusCallback). */
  callbackUrl(channelId: string): string;
  clock: () => Date;
  random: () => number;
  /** Called with each finished notification (metrics, tests, the benchmark). */
  onSettled?(n: { orgId: string; id: string; status: store.NotificationStatus; channel: string }): void;
}

export const secretsContext = (orgId: string, channelId: string) =>
  `notification-channel:${orgId}:${channelId}`;

/** Opens a channel row's sealed credentials. */
export function readyProvider(
  deps: Pick<DeliveryDeps, 'box' | 'providers'> & Partial<Pick<DeliveryDeps, 'callbackUrl'>>,
  row: store.ChannelRow,
): ReadyProvider {
  const secrets = row.secrets_sealed
    ? (JSON.parse(deps.box.open(row.secrets_sealed, secretsContext(row.org_id, row.id)).toString()) as Record<
        string,
        string
      >)
    : {};
  // Twilio reports delivery to the URL each message names; BUL's is the channel's callback route.
  const config =
    row.kind === 'sms' && deps.callbackUrl && !row.config.statusCallbackUrl
      ? { ...row.config, statusCallbackUrl: deps.callbackUrl(row.id) }
      : row.config;
  return { channelId: row.id, provider: deps.providers[row.kind], config, secrets };
}

export function outboundOf(n: store.NotificationRow, unsubscribeUrl: string | null): OutboundMessage {
  return {
    id: n.id,
    orgId: n.org_id,
    eventType: n.event_type,
    priority: n.priority,
    to: n.address,
    recipientName: n.recipient_name,
    message: { subject: n.subject, text: n.body, html: n.html, whatsappTemplate: n.whatsapp_template },
    unsubscribeUrl,
    data: n.data,
    createdAt: n.created_at.toISOString(),
  };
}

/** Calls providers in order until one accepts or one refuses for good. */
export async function sendThrough(
  providers: readonly ReadyProvider[],
  message: OutboundMessage,
  o: { timeoutMs: number; allowPrivate: boolean; clock: () => Date; budgetMs?: number },
): Promise<{ attempts: (store.AttemptInput & { result: SendResult })[]; final: SendResult | null }> {
  const attempts: (store.AttemptInput & { result: SendResult })[] = [];
  let final: SendResult | null = null;
  const began = o.clock().getTime();
  for (const p of providers) {
    // Past the budget (well inside the claim's lease), the rest wait for the next round: a send
    // that outlived its lease would be sent again by another runner.
    if (o.budgetMs !== undefined && attempts.length > 0 && o.clock().getTime() - began > o.budgetMs) break;
    const startedAt = o.clock();
    let result: SendResult;
    try {
      result = await p.provider.send(message, {
        config: p.config,
        secrets: p.secrets,
        timeoutMs: o.timeoutMs,
        // The platform's own relay (SMTP_*) is the installation's choice, private or not.
        allowPrivate: p.channelId === null ? true : o.allowPrivate,
      });
    } catch (err) {
      // An adapter should answer, not throw; if one does, it is this provider's failure.
      result = {
        outcome: 'retry',
        errorCode: null,
        error: `provider error: ${(err as Error).message}`.slice(0, 500),
        statusCode: null,
        latencyMs: o.clock().getTime() - startedAt.getTime(),
      };
    }
    attempts.push({
      id: newId(),
      attempt: 0, // numbered by the caller
      channelId: p.channelId,
      provider: p.provider.kind,
      startedAt,
      latencyMs: Math.max(0, Math.round(result.latencyMs)),
      outcome: result.outcome,
      statusCode: result.statusCode,
      errorCode: result.outcome === 'sent' ? null : result.errorCode,
      error: result.outcome === 'sent' ? null : result.error.slice(0, 1000),
      providerMessageId: result.outcome === 'sent' ? result.providerMessageId : null,
      result,
    });
    final = result;
    if (result.outcome === 'sent' || result.outcome === 'rejected') break;
  }
  return { attempts, final };
}

/** Channels whose acceptance is the delivery (no later status reports). */
const DELIVERED_ON_ACCEPT = new Set(['webhook', 'slack', 'teams', 'discord']);

/**
 * How long a worker reuses an organization's providers of a kind (their rows and opened
 * credentials) before reading them again: a channel changed or disabled is in force everywhere
 * within this long. Reading them per notification was a transaction per delivery.
 */
export const PROVIDERS_CACHE_MS = 5000;

/** A claimed notification, as the claim answers it (the whole row and the claim's token). */
export type ClaimedNotification = store.NotificationRow & { claim_token: string };

export class NotificationDelivery {
  private readonly d: DeliveryDeps;
  private readonly unsubscribeUrlOf: (n: store.NotificationRow) => string | null;
  private readonly providerCache = new Map<string, { at: number; providers: Promise<ReadyProvider[]> }>();
  private readonly settler: BatchedSettler;

  constructor(deps: DeliveryDeps, unsubscribeUrlOf: (n: store.NotificationRow) => string | null) {
    this.d = deps;
    this.unsubscribeUrlOf = unsubscribeUrlOf;
    this.settler = new BatchedSettler(deps.db);
  }

  /** The organization's providers of a channel kind in failover order (cached PROVIDERS_CACHE_MS). */
  private providersFor(orgId: string, kind: ProviderKind): Promise<ReadyProvider[]> {
    const key = `${orgId}:${kind}`;
    const now = Date.now();
    const cached = this.providerCache.get(key);
    if (cached && now - cached.at < PROVIDERS_CACHE_MS) return cached.providers;
    const providers = this.d.db
      .transaction({ orgId, userId: null }, (tx) => store.enabledChannelsOf(tx, kind))
      .then((rows) => {
        const ready: ReadyProvider[] = [];
        for (const row of rows) {
          try {
            ready.push(readyProvider(this.d, row));
          } catch {
            // Credentials sealed with another master key: this provider cannot be used.
          }
        }
        if (kind === 'email' && rows.length === 0 && this.d.platformEmail) ready.push(this.d.platformEmail);
        return ready;
      });
    providers.catch(() => this.providerCache.delete(key));
    this.providerCache.set(key, { at: now, providers });
    if (this.providerCache.size > 10_000) this.providerCache.delete(this.providerCache.keys().next().value!);
    return providers;
  }

  /**
   * Sends one claimed notification (the row as the claim answered it, with its claim token) and
   * records what happened, unless the claim ran out meanwhile and another runner took it over.
   */
  async deliver(n: ClaimedNotification): Promise<void> {
    if (n.channel === 'in_app') return; // never queued: stored as delivered
    const providers = await this.providersFor(n.org_id, n.channel as ProviderKind);
    const outcome =
      providers.length === 0
        ? { attempts: [], final: null }
        : await sendThrough(providers, outboundOf(n, this.unsubscribeUrlOf(n)), {
            ...this.d,
            budgetMs: this.d.sendBudgetMs,
          });
    const now = this.d.clock();
    // Retries count rounds (each tries every provider in turn), not provider calls.
    const rounds = n.rounds + 1;
    const made = n.attempts + outcome.attempts.length;
    const attempts = outcome.attempts.map(({ result: _, ...a }, i) => ({
      ...a,
      attempt: n.attempts + i + 1,
      notificationId: n.id,
    }));
    const final = outcome.final;
    const sent = attempts.find((a) => a.outcome === 'sent');
    let status: store.NotificationStatus;
    let nextAttemptAt: Date | null = null;
    if (sent) status = DELIVERED_ON_ACCEPT.has(n.channel) ? 'delivered' : 'sent';
    else if (final?.outcome === 'rejected') status = 'failed';
    else {
      // Every provider failed for now (or none is set up): try again later, then dead-letter.
      const retryAfter = outcome.attempts.reduce<number | null>((max, a) => {
        const r = a.result.outcome === 'sent' ? null : (a.result.retryAfterMs ?? null);
        return r === null ? max : Math.max(max ?? 0, r);
      }, null);
      nextAttemptAt = nextRetryAt(
        now,
        Math.max(1, made - n.round_start),
        n.priority,
        retryAfter,
        this.d.random,
      );
      status = nextAttemptAt ? 'queued' : 'dead';
    }
    const lastError =
      providers.length === 0
        ? 'no provider is set up for this channel'
        : final && final.outcome !== 'sent'
          ? final.error.slice(0, 1000)
          : null;
    const settled = await this.settler.settle(
      n.org_id,
      {
        id: n.id,
        claimToken: n.claim_token,
        status,
        rounds,
        attempts: providers.length === 0 ? n.attempts + 1 : made,
        nextAttemptAt,
        channelId: sent?.channelId ?? null,
        providerMessageId: sent?.providerMessageId ?? null,
        lastError,
        lastStatusCode: final?.statusCode ?? null,
      },
      attempts,
    );
    if (settled) this.d.onSettled?.({ orgId: n.org_id, id: n.id, status, channel: n.channel });
  }
}

/**
 * Writes the outcomes of sends in batches: those finished within FLUSH_MS (or MAX_BATCH of them)
 * go to the database in one transaction per organization, one statement each (store.settleMany),
 * instead of a transaction and a commit flush per delivery. The commit does not wait for its WAL
 * flush (synchronous_commit off, for these transactions only): an outcome lost in a crash leaves
 * the notification claimed, and it is sent again, with the same id, when the lease runs out.
 */
class BatchedSettler {
  private static readonly FLUSH_MS = 3;
  private static readonly MAX_BATCH = 200;
  private readonly db: Db;
  private pending = new Map<
    string,
    {
      settlements: store.Settlement[];
      attempts: (store.AttemptInput & { notificationId: string })[];
      done: ((ok: boolean) => void)[];
      fail: ((err: unknown) => void)[];
    }
  >();
  private size = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(db: Db) {
    this.db = db;
  }

  settle(
    orgId: string,
    settlement: store.Settlement,
    attempts: (store.AttemptInput & { notificationId: string })[],
  ): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let batch = this.pending.get(orgId);
      if (!batch) {
        batch = { settlements: [], attempts: [], done: [], fail: [] };
        this.pending.set(orgId, batch);
      }
      batch.settlements.push(settlement);
      batch.attempts.push(...attempts);
      batch.done.push(resolve);
      batch.fail.push(reject);
      this.size++;
      if (this.size >= BatchedSettler.MAX_BATCH) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), BatchedSettler.FLUSH_MS);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batches = this.pending;
    this.pending = new Map();
    this.size = 0;
    for (const [orgId, batch] of batches) {
      const write = (settlements: store.Settlement[], attempts: typeof batch.attempts) =>
        this.db.transaction({ orgId, userId: null }, async (tx) => {
          await tx.query('SET LOCAL synchronous_commit = off');
          return store.settleMany(tx, orgId, settlements, attempts);
        });
      write(batch.settlements, batch.attempts).then(
        (ids) => {
          const settled = new Set(ids);
          for (const [i, s] of batch.settlements.entries()) batch.done[i]!(settled.has(s.id));
        },
        () => {
          // One outcome the database refuses must not hold back the others of the batch: each
          // alone; one that still fails waits for its lease (and is sent again then).
          for (const [i, s] of batch.settlements.entries())
            write(
              [s],
              batch.attempts.filter((a) => a.notificationId === s.id),
            ).then(
              (ids) => batch.done[i]!(ids.includes(s.id)),
              (err) => batch.fail[i]!(err),
            );
        },
      );
    }
  }
}
