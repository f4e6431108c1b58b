// A login from a new network (/24, /48), country (with GEOIP_DB_PATH) or device for that user, and
// impossible travel between two located logins. Fed by `security.login_succeeded` (emitted in the
// login's own statement, so the login path gains no round trip) in a worker. A user's first login
// in the organization is not "new": it only records where they came from. A country is compared
// only once the user has one on record (a GeoIP database configured later does not flag everyone);
// a device likewise, between recognised devices only (an API client without a user agent, then a
// browser, is not "a new device": the first recognised one sets the baseline).
import type { Sql } from '../../../platform/db/transaction.ts';
import { emitEvents } from '../../../platform/events/outbox.ts';
import type { DomainEvent } from '../../../platform/module.ts';
import { distanceKm, type GeoIpDatabase } from '../geoip.ts';
import { deviceOf, isRecognisedDevice, networkOf } from '../network.ts';
import * as store from '../store.ts';
import type { ThreatRecorder } from '../threat-recorder.ts';
import { THRESHOLDS } from '../thresholds.ts';

type Kind = 'network' | 'country' | 'device';

export async function detectLoginOrigin(
  tx: Sql,
  event: DomainEvent,
  geo: GeoIpDatabase | null,
  threats: ThreatRecorder,
): Promise<void> {
  const p = event.payload as { id: string; sessionId: string; ip: string; userAgent: string | null };
  const userId = p.id;
  const at = new Date(event.occurredAt);
  const network = networkOf(p.ip);
  const device = deviceOf(p.userAgent);
  const place = geo?.lookup(p.ip) ?? null;
  const country = place?.country ?? null;

  const known = await store.knownOrigins(tx, userId);
  const has = (kind: Kind, value: string) => known.some((o) => o.kind === kind && o.value === value);
  const hasAny = (kind: Kind) => known.some((o) => o.kind === kind);
  const newOrigins: Kind[] = [];
  if (known.length > 0) {
    if (!has('network', network)) newOrigins.push('network');
    if (country && hasAny('country') && !has('country', country)) newOrigins.push('country');
    const knowsDevices = known.some((o) => o.kind === 'device' && isRecognisedDevice(o.value));
    if (isRecognisedDevice(device) && knowsDevices && !has('device', device)) newOrigins.push('device');
  }
  const seen: { kind: Kind; value: string }[] = [
    { kind: 'network', value: network },
    { kind: 'device', value: device },
  ];
  if (country) seen.push({ kind: 'country', value: country });
  await store.upsertOrigins(tx, userId, seen, at);

  if (newOrigins.length > 0) {
    await emitEvents(tx, event.orgId, { type: 'user', id: userId }, [
      {
        type: 'security.new_login_location',
        payload: { id: userId, ip: p.ip, network, country, device, newOrigins },
      },
    ]);
    await threats.raise(tx, event.orgId, {
      type: 'new_login_location',
      severity: newOrigins.includes('country') ? 'medium' : 'low',
      key: `new-origin:${userId}:${network}:${country ?? ''}:${device}`,
      userId,
      ip: p.ip,
      at,
      evidence: { network, country, device, newOrigins, sessionId: p.sessionId },
    });
  }

  if (place?.latitude == null || place.longitude == null) return;
  const here = { latitude: place.latitude, longitude: place.longitude };
  const last = await store.lastLogin(tx, userId);
  await store.saveLastLogin(tx, userId, { at, ip: p.ip, country, ...here });
  if (!last || last.latitude == null || last.longitude == null || last.at > at) return;
  const km = distanceKm({ latitude: last.latitude, longitude: last.longitude }, here);
  const hours = Math.max((at.getTime() - last.at.getTime()) / 3_600_000, 1 / 3600);
  const speed = km / hours;
  if (km < THRESHOLDS.travelMinKm || speed <= THRESHOLDS.travelKmPerHour) return;
  await threats.raise(tx, event.orgId, {
    type: 'impossible_travel',
    severity: 'high',
    key: `travel:${userId}:${last.ip}:${p.ip}`,
    userId,
    ip: p.ip,
    at,
    evidence: {
      from: { ip: last.ip, country: last.country, at: last.at.toISOString() },
      to: { ip: p.ip, country, at: at.toISOString() },
      distanceKm: Math.round(km),
      hours: Math.round(hours * 100) / 100,
      kmPerHour: Math.round(speed),
      sessionId: p.sessionId,
    },
  });
}
