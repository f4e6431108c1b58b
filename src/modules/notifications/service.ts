// The notifications module's entry point: its services, built together. Other modules reach
// notifications only through what this file exports.
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { AuditService } from '../audit/service.ts';
import { CallbackService } from './callback-service.ts';
import { ChannelHealth } from './channel-health.ts';
import { ChannelService } from './channel-service.ts';
import { smtpFromEnvironment } from './channels/smtp-email.ts';
import { NotificationDelivery, type ReadyProvider } from './delivery.ts';
import { EventNotifier } from './event-notifier.ts';
import { InboxService } from './inbox-service.ts';
import { NotificationAnalyticsService } from './notification-analytics-service.ts';
import { PreferenceService } from './preference-service.ts';
import { PROVIDERS, type ProviderRegistry } from './providers.ts';
import { RuleService } from './rule-service.ts';
import { SendService } from './send-service.ts';
import { TemplateService } from './template-service.ts';
import { TemplateEngine } from './templates/engine.ts';

export type { ChannelHealth, ChannelProbe } from './channel-health.ts';

export interface NotificationDeps {
  db: Db;
  box: SecretBox;
  audit: AuditService;
  config: Pick<
    Config,
    | 'publicUrl'
    | 'smtp'
    | 'notifyProviderTimeoutMs'
    | 'webhookAllowPrivate'
    | 'notifyConcurrency'
    | 'notifyLeaseSeconds'
  >;
  /** Injectable for tests: the adapters are real; a test may add a counting wrapper. */
  providers?: ProviderRegistry;
  clock?: () => Date;
  random?: () => number;
}

/** The platform's default e-mail relay (SMTP_*) as a provider, or null when SMTP_HOST is unset. */
function platformEmail(
  settings: NotificationDeps['config'],
  providers: ProviderRegistry,
): ReadyProvider | null {
  const smtp = settings.smtp;
  if (!smtp) return null;
  const { config, secrets } = smtpFromEnvironment(smtp);
  return {
    channelId: null,
    provider: providers.email,
    config: config as unknown as Record<string, unknown>,
    secrets: secrets as Record<string, string>,
  };
}

export class NotificationServices {
  readonly engine: TemplateEngine;
  readonly providers: ProviderRegistry;
  readonly notifier: EventNotifier;
  readonly send: SendService;
  readonly inbox: InboxService;
  readonly callbacks: CallbackService;
  readonly delivery: NotificationDelivery;
  readonly rules: RuleService;
  readonly preferences: PreferenceService;
  readonly analytics: NotificationAnalyticsService;
  readonly templates: TemplateService;
  readonly channels: ChannelService;
  /** Probes of the enabled channels, for the health checks (system module). */
  readonly health: ChannelHealth;

  constructor(d: NotificationDeps) {
    const clock = d.clock ?? (() => new Date());
    const publicUrl = d.config.publicUrl;
    this.engine = new TemplateEngine();
    this.providers = d.providers ?? PROVIDERS;
    this.callbacks = new CallbackService({
      db: d.db,
      box: d.box,
      audit: d.audit,
      providers: this.providers,
      publicUrl,
    });
    const planner = {
      engine: this.engine,
      unsubscribeUrl: (o: Parameters<CallbackService['unsubscribeUrl']>[0]) =>
        this.callbacks.unsubscribeUrl(o),
    };
    const hasPlatformEmail = d.config.smtp !== null;
    this.notifier = new EventNotifier({
      planner,
      platformEmail: hasPlatformEmail,
      publicUrl,
      clock,
    });
    this.send = new SendService({
      db: d.db,
      audit: d.audit,
      engine: this.engine,
      planner,
      platformEmail: hasPlatformEmail,
      publicUrl,
      clock,
    });
    this.inbox = new InboxService(d.db);
    this.delivery = new NotificationDelivery(
      {
        db: d.db,
        box: d.box,
        providers: this.providers,
        platformEmail: platformEmail(d.config, this.providers),
        timeoutMs: d.config.notifyProviderTimeoutMs,
        allowPrivate: d.config.webhookAllowPrivate,
        // Half the lease: a round of providers ends well before another runner may take it over.
        sendBudgetMs: (d.config.notifyLeaseSeconds * 1000) / 2,
        callbackUrl: (channelId) => `${publicUrl}/api/v1/notifications/callbacks/${channelId}`,
        clock,
        random: d.random ?? Math.random,
      },
      (n) =>
        n.channel === 'email' && (n.recipient_user_id || n.recipient_contact_id)
          ? this.callbacks.unsubscribeUrl({
              orgId: n.org_id,
              ...(n.recipient_user_id
                ? { userId: n.recipient_user_id }
                : { contactId: n.recipient_contact_id! }),
              eventType: n.event_type,
              channel: n.channel,
            })
          : null,
    );
    this.rules = new RuleService({ db: d.db, audit: d.audit });
    this.preferences = new PreferenceService(d.db);
    this.analytics = new NotificationAnalyticsService({ db: d.db, clock });
    this.templates = new TemplateService({ db: d.db, audit: d.audit, engine: this.engine });
    this.channels = new ChannelService({
      db: d.db,
      box: d.box,
      audit: d.audit,
      providers: this.providers,
      engine: this.engine,
      publicUrl,
      timeoutMs: d.config.notifyProviderTimeoutMs,
      allowPrivate: d.config.webhookAllowPrivate,
      clock,
    });
    this.health = new ChannelHealth({
      pool: d.db.pool,
      box: d.box,
      providers: this.providers,
      allowPrivate: d.config.webhookAllowPrivate,
    });
  }
}
