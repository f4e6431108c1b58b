// What reaches BUL from outside without a signed-in user: providers' status callbacks (Twilio
// status callbacks, WhatsApp Cloud webhooks with replies), verified by the provider's signature
// against the channel's credentials before anything changes; and one-click unsubscribe links
// (RFC 8058), whose token is sealed with the master key, so it names its recipient, event type and
// channel and cannot be forged or altered.
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import { isUuid, newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import type { RequestMeta } from '../../platform/http/request-context.ts';
import type { AuditService } from '../audit/service.ts';
import type { CallbackRequest, CallbackResult } from './channels/provider.ts';
import { readyProvider } from './delivery.ts';
import type { ProviderRegistry } from './providers.ts';
import * as store from './store.ts';

const UNSUBSCRIBE_CONTEXT = 'notification-unsubscribe';

export interface UnsubscribeClaim {
  /** organization */
  o: string;
  /** user, or */
  u?: string;
  /** client contact */
  c?: string;
  /** event type ('*': every notification on the channel) */
  e: string;
  /** channel */
  ch: string;
}

export interface CallbackDeps {
  db: Db;
  box: SecretBox;
  audit: AuditService;
  providers: ProviderRegistry;
  publicUrl: string;
}

export class CallbackService {
  private readonly d: CallbackDeps;

  constructor(deps: CallbackDeps) {
    this.d = deps;
  }

  unsubscribeToken(c: UnsubscribeClaim): string {
    return this.d.box.seal(JSON.stringify(c), UNSUBSCRIBE_CONTEXT);
  }

  unsubscribeUrl(o: {
    orgId: string;
    userId?: string;
    contactId?: string;
    eventType: string;
    channel: string;
  }): string {
    const token = this.unsubscribeToken({
      o: o.orgId,
      ...(o.userId ? { u: o.userId } : { c: o.contactId }),
      e: o.eventType,
      ch: o.channel,
    });
    return `${this.d.publicUrl}/api/v1/notifications/unsubscribe?token=${encodeURIComponent(token)}`;
  }

  /** The claim a token carries, or null when it is not one BUL sealed. */
  readToken(token: string): UnsubscribeClaim | null {
    try {
      const c = JSON.parse(this.d.box.open(token, UNSUBSCRIBE_CONTEXT).toString()) as UnsubscribeClaim;
      if (!isUuid(c.o) || (c.u && !isUuid(c.u)) || (c.c && !isUuid(c.c)) || (!c.u && !c.c)) return null;
      return c;
    } catch {
      return null;
    }
  }

  /**
   * Applies an unsubscribe at once: a member's preference for that event type and channel turns
   * off; a client contact is opted out of the channel. Idempotent. False for a bad token.
   */
  async unsubscribe(token: string, meta: RequestMeta): Promise<UnsubscribeClaim | null> {
    const c = this.readToken(token);
    if (!c) return null;
    await this.d.db.transaction({ orgId: c.o, userId: null }, async (tx) => {
      if (c.u) {
        const { rowCount } = await tx.query(
          "SELECT 1 FROM memberships WHERE user_id = $1 AND status = 'active'",
          [c.u],
        );
        if (!rowCount) return; // no longer a member: nothing to turn off
        await store.upsertPreference(tx, {
          orgId: c.o,
          userId: c.u,
          eventType: c.e,
          channel: c.ch,
          enabled: false,
        });
      } else if (c.c) {
        const { rowCount } = await tx.query('SELECT 1 FROM client_contacts WHERE id = $1', [c.c]);
        if (!rowCount) return; // the contact (or its organization) is gone: nothing to turn off
        await store.insertContactOptOut(tx, { orgId: c.o, contactId: c.c, channel: c.ch });
      }
      // At once: what is still waiting to go out (held by quiet hours, a retry) goes no more.
      await store.skipQueuedFor(tx, {
        userId: c.u ?? null,
        contactId: c.c ?? null,
        eventType: c.e,
        channel: c.ch,
      });
      await this.d.audit.record(tx, {
        orgId: c.o,
        actor: c.u
          ? { type: 'user', id: c.u, label: 'unsubscribe link' }
          : { type: 'system', id: null, label: 'unsubscribe link' },
        action: 'notification.unsubscribe',
        resourceType: c.u ? 'user' : 'client_contact',
        resourceId: (c.u ?? c.c)!,
        metadata: { eventType: c.e, channel: c.ch },
        meta,
      });
    });
    return c;
  }

  /**
   * A provider's callback for a channel: checks its signature with the channel's credentials, then
   * moves notifications forward (delivered, read, failed) and records replies. A channel that does
   * not exist, or a bad signature, is 'unauthorized' (answered 401, nothing changed).
   */
  async providerCallback(channelId: string, request: CallbackRequest): Promise<CallbackResult> {
    if (!isUuid(channelId)) return { kind: 'unauthorized' };
    const orgId = await store.channelOrg(this.d.db.pool, channelId);
    if (!orgId) return { kind: 'unauthorized' };
    const scope = { orgId, userId: null };
    const row = await this.d.db.transaction(scope, (tx) => store.getChannel(tx, channelId));
    if (!row) return { kind: 'unauthorized' };
    let ready: ReturnType<typeof readyProvider>;
    try {
      ready = readyProvider(this.d, row);
    } catch {
      return { kind: 'unauthorized' }; // credentials sealed with another master key: cannot check
    }
    if (!ready.provider.callback) return { kind: 'unauthorized' };
    const result = ready.provider.callback(request, { config: ready.config, secrets: ready.secrets });
    if (result.kind !== 'updates') return result;
    await this.d.db.transaction(scope, async (tx) => {
      for (const s of result.statuses)
        await store.applyProviderStatus(tx, {
          channelId,
          providerMessageId: s.providerMessageId,
          status: s.status,
          error: s.error ? `${s.errorCode ? `${s.errorCode}: ` : ''}${s.error}`.slice(0, 1000) : s.errorCode,
          at: s.at,
        });
      for (const m of result.inbound)
        await store.insertInbound(tx, {
          orgId,
          id: newId(),
          channelId,
          providerMessageId: m.providerMessageId,
          from: m.from,
          text: m.text.slice(0, 10_000),
          inReplyTo: m.inReplyTo,
          at: m.at,
        });
    });
    return result;
  }
}
