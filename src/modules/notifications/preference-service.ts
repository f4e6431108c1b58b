// A member's own notification settings: which event types and channels they want (the planner
// applies them to every notification, the most specific choice winning), their time zone and quiet
// hours, and the addresses BUL has no other record of (phone numbers for SMS and WhatsApp, push
// registration tokens). Each member reads and writes only their own (the queries name the caller).
import { newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, type FieldError, fieldError, invalidField, notFound } from '../../platform/errors.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { ensureBuiltinRules } from './event-notifier.ts';
import { NOTIFICATIONS } from './messages.ts';
import type { MySettingsDto, NotificationAddressDto, PreferenceDto } from './preference-schemas.ts';
import { isValidClock, isValidTimeZone } from './quiet-hours.ts';
import * as store from './store.ts';

/** E.164: a plus, a country code that does not start with 0, 7 to 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;

export interface MyPreferencesDto {
  items: PreferenceDto[];
  eventTypes: { eventType: string; channels: string[] }[];
}

const addressDto = (a: store.AddressRow): NotificationAddressDto => ({
  id: a.id,
  channel: a.channel,
  address: a.address,
  label: a.label,
  createdAt: a.created_at.toISOString(),
});

const settingsDto = (s: store.UserSettingsRow | undefined): MySettingsDto => ({
  timeZone: s?.timezone ?? null,
  quietHours: s?.quiet_start && s.quiet_end ? { start: s.quiet_start, end: s.quiet_end } : null,
});

/** Phone numbers or devices one member may add per channel. */
export const MAX_ADDRESSES_PER_CHANNEL = 5;

export class PreferenceService {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async preferences(ctx: CallContext): Promise<MyPreferencesDto> {
    const s = tenantScope(ctx);
    return this.db.transaction(s, async (tx) => {
      // A new organization's built-in rules are what its members first choose among.
      await ensureBuiltinRules(tx, s.orgId);
      const prefs = await store.preferencesOf(tx, [s.userId]);
      const rules = await store.listRules(tx);
      const channelsOf = new Map<string, Set<string>>();
      for (const r of rules.filter((x) => x.enabled)) {
        const set = channelsOf.get(r.event_type) ?? new Set<string>();
        for (const c of r.channels) set.add(c);
        channelsOf.set(r.event_type, set);
      }
      return {
        items: prefs
          .map((p) => ({
            eventType: p.event_type,
            channel: p.channel as PreferenceDto['channel'],
            enabled: p.enabled,
          }))
          .sort((a, b) => a.eventType.localeCompare(b.eventType) || a.channel.localeCompare(b.channel)),
        eventTypes: [...channelsOf]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([eventType, channels]) => ({ eventType, channels: [...channels].sort() })),
      };
    });
  }

  /** Replaces the member's whole set of choices (the schema has checked event types and channels). */
  async replacePreferences(ctx: CallContext, items: readonly PreferenceDto[]): Promise<MyPreferencesDto> {
    const s = tenantScope(ctx);
    await this.db.transaction(s, async (tx) => {
      await store.deletePreferences(tx, s.userId);
      for (const p of items)
        await store.upsertPreference(tx, {
          orgId: s.orgId,
          userId: s.userId,
          eventType: p.eventType,
          channel: p.channel,
          enabled: p.enabled,
        });
    });
    return this.preferences(ctx);
  }

  async settings(ctx: CallContext): Promise<MySettingsDto> {
    const s = tenantScope(ctx);
    const rows = await this.db.transaction(s, (tx) => store.settingsOf(tx, [s.userId]));
    return settingsDto(rows[0]);
  }

  async replaceSettings(ctx: CallContext, body: MySettingsDto): Promise<MySettingsDto> {
    const s = tenantScope(ctx);
    const errors: FieldError[] = [];
    if (body.timeZone !== null && !isValidTimeZone(body.timeZone))
      errors.push(fieldError('timeZone', 'timeZone', NOTIFICATIONS.badTimeZone({ zone: body.timeZone })));
    for (const end of ['start', 'end'] as const) {
      const clock = body.quietHours?.[end];
      if (clock !== undefined && !isValidClock(clock))
        errors.push(fieldError(`quietHours.${end}`, 'clock', NOTIFICATIONS.badClock({ clock })));
    }
    if (errors.length > 0)
      throw new AppError('validation-failed', errors[0]!.msg ?? errors[0]!.message, { errors });
    const row = await this.db.transaction(s, (tx) =>
      store.upsertSettings(tx, {
        orgId: s.orgId,
        userId: s.userId,
        timezone: body.timeZone,
        quietStart: body.quietHours?.start ?? null,
        quietEnd: body.quietHours?.end ?? null,
      }),
    );
    return settingsDto(row);
  }

  async addresses(ctx: CallContext): Promise<{ items: NotificationAddressDto[] }> {
    const s = tenantScope(ctx);
    const rows = await this.db.transaction(s, (tx) => store.addressesOf(tx, [s.userId]));
    return { items: rows.map(addressDto) };
  }

  /** Adds a phone number or push token (the same one again only updates its label). */
  async addAddress(
    ctx: CallContext,
    body: { channel: 'sms' | 'whatsapp' | 'push'; address: string; label?: string },
  ): Promise<NotificationAddressDto> {
    const s = tenantScope(ctx);
    const address = body.channel === 'push' ? body.address : body.address.trim();
    if (body.channel !== 'push' && !E164.test(address))
      throw invalidField('address', 'e164', NOTIFICATIONS.badPhone());
    const row = await this.db.transaction(s, async (tx) => {
      // Each address multiplies what the organization pays for every notification to this member.
      const mine = (await store.addressesOf(tx, [s.userId])).filter(
        (a) => a.channel === body.channel && a.address !== address,
      );
      if (mine.length >= MAX_ADDRESSES_PER_CHANNEL)
        throw invalidField(
          'address',
          'maxItems',
          NOTIFICATIONS.tooManyAddresses({ max: MAX_ADDRESSES_PER_CHANNEL }),
        );
      return store.insertAddress(tx, {
        orgId: s.orgId,
        id: newId(),
        userId: s.userId,
        channel: body.channel,
        address,
        label: body.label ?? '',
      });
    });
    return addressDto(row);
  }

  async deleteAddress(ctx: CallContext, id: string): Promise<void> {
    const s = tenantScope(ctx);
    const deleted = await this.db.transaction(s, (tx) => store.deleteAddress(tx, s.userId, id));
    if (!deleted) throw notFound('notificationAddress');
  }
}
