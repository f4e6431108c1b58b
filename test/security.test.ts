// Threat detection (issue 17, S8) on scripted attacks through the real HTTP API: each detector
// raises its threat row (deduplicated: a burst is one threat), the domain event
// security.threat_detected, and the listing and dashboard show it. Credential stuffing from one
// address over 10 accounts; refresh-token reuse; a new login location notifies the user in their
// inbox; impossible travel with a local GeoIP CSV; an API key from a new network; permission
// escalation (member role, custom role); mass delete. Bad input on the list's filters.
// Client addresses come from X-Forwarded-For (TRUST_PROXY=127.0.0.1); the test app lets failed
// logins through (LOCKOUT_* thresholds of 1000).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config.ts';
import { distanceKm, GeoIpDatabase } from '../src/modules/security/geoip.ts';
import { deviceOf, networkOf } from '../src/modules/security/network.ts';
import type { BulComposition } from '../src/services.ts';
import { STRONG_PASSWORD } from './support/constants.ts';
import { composeWorker, startEvents } from './support/event-worker-inline.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import {
  addMember,
  createSiblingApp,
  createTestApp,
  login,
  type Session,
  signUp,
  type TestApp,
  uniqueEmail,
} from './support/test-app.ts';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IOS =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

let t: TestApp;
let composition: BulComposition;
let dir: string;
const stops: (() => Promise<void>)[] = [];
let admin: Session;

interface ThreatItem {
  id: string;
  type: string;
  severity: string;
  status: string;
  userId: string | null;
  ip: string | null;
  evidence: Record<string, unknown>;
  occurrences: number;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bul-geoip-'));
  const geo = path.join(dir, 'geoip.csv');
  writeFileSync(
    geo,
    [
      'start_ip,end_ip,country,latitude,longitude',
      '198.51.100.0,198.51.100.255,AU,-33.87,151.21',
      '203.0.113.0,203.0.113.255,NL,52.37,4.89',
      '2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,BR,-23.55,-46.63',
      '',
    ].join('\n'),
  );
  t = await createTestApp({ TRUST_PROXY: '127.0.0.1', GEOIP_DB_PATH: geo, DEFAULT_PLAN: 'enterprise' });
  composition = await composeWorker(t);
  stops.push(await startEvents(t, composition));
  admin = await signUp(t, { orgName: 'Guarded Co' });
}, 60_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function api(s: Session, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return t.request({
    method,
    url: `/api/v1${url}`,
    headers: s.headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

function loginFrom(ip: string, email: string, password: string, ua = 'bul-test', extra: object = {}) {
  return t.request({
    method: 'POST',
    url: '/api/v1/auth/login',
    headers: { 'x-forwarded-for': ip, 'user-agent': ua },
    payload: { email, password, ...extra },
  });
}

async function threats(s: Session, query = ''): Promise<ThreatItem[]> {
  const res = await api(s, 'GET', `/security/threats${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

/** Waits (bounded) for the event worker to raise a threat matching `match`. */
async function threatEventually(s: Session, query: string, match: (x: ThreatItem) => boolean) {
  await expect
    .poll(async () => (await threats(s, query)).some(match), { timeout: 15_000, interval: 100 })
    .toBe(true);
  return (await threats(s, query)).find(match)!;
}

async function detectedEvents(orgId: string, threatId: string) {
  const { rows } = await t.owner<{ payload: Record<string, unknown> }>(
    `SELECT payload FROM domain_events WHERE org_id = $1 AND type = 'security.threat_detected' AND payload->>'id' = $2`,
    [orgId, threatId],
  );
  return rows;
}

/** The `security.threats` samples (monitoring) of the admin's organization, by label key. */
async function threatSamples(): Promise<Record<string, number>> {
  const { rows } = await t.owner<{ labels: string; n: number }>(
    `SELECT labels, sum(value)::int AS n FROM monitoring_samples
     WHERE org_id = $1 AND metric = 'security.threats' GROUP BY labels`,
    [admin.orgId],
  );
  return Object.fromEntries(rows.map((r) => [r.labels, r.n]));
}

async function membershipIdOf(userId: string): Promise<string> {
  const { rows } = await t.owner<{ id: string }>(
    'SELECT id FROM memberships WHERE org_id = $1 AND user_id = $2',
    [admin.orgId, userId],
  );
  return rows[0]!.id;
}

describe('failed logins', () => {
  it('credential stuffing: one address tries 10 accounts of the organization → one high threat, its event, the security.threats sample, the dashboard shows the address', async () => {
    const samplesBefore = await threatSamples();
    const members = await Promise.all(Array.from({ length: 10 }, () => addMember(t, admin, 'developer')));
    const ip = '192.0.2.77';
    for (const m of members) {
      const res = await loginFrom(ip, m.email, 'wrong-password-1');
      expect(res.statusCode).toBe(401);
    }
    // The attack goes on: still one threat, seen more often.
    await loginFrom(ip, members[0]!.email, 'wrong-password-2');
    const found = (await threats(admin, '?type=credential_stuffing_ip')).filter((x) => x.ip === ip);
    expect(found).toHaveLength(1);
    const threat = found[0]!;
    expect(threat.severity).toBe('high');
    expect(threat.evidence).toMatchObject({ ip, accounts: 10, windowMinutes: 15 });
    expect(threat.occurrences).toBe(2);
    const events = await detectedEvents(admin.orgId, threat.id);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ type: 'credential_stuffing_ip', severity: 'high', ip });
    // Counted once for monitoring (alerts watch it): by severity and in the unlabelled total.
    const samples = await threatSamples();
    const high = Object.keys(samples).find((k) => k.includes('high'))!;
    expect(high).toBeDefined();
    expect(samples[high]! - (samplesBefore[high] ?? 0)).toBe(1);
    expect((samples[''] ?? 0) - (samplesBefore[''] ?? 0)).toBe(1);

    const dash = await api(admin, 'GET', '/security/dashboard');
    expect(dash.statusCode, dash.body).toBe(200);
    const d = dash.json();
    expect(d.last24h.failedLogins).toBeGreaterThanOrEqual(11);
    expect(d.last24h.bySeverity.high).toBeGreaterThanOrEqual(1);
    expect(d.last24h.topIps[0]).toMatchObject({ ip, failedLogins: 11, accounts: 10 });
    expect(d.members).toBeGreaterThanOrEqual(11);
    expect(d.mfaCoveragePercent).toBe(0);
    expect(d.activeSessions).toBeGreaterThanOrEqual(11);
  }, 60_000);

  it('a burst on one account from several addresses → a burst threat and credential stuffing of the account', async () => {
    const victim = await addMember(t, admin, 'viewer');
    for (let i = 0; i < 10; i++) await loginFrom(`192.0.2.${100 + (i % 5)}`, victim.email, `nope-${i}`);
    const list = await threats(admin, `?user=${victim.userId}`);
    expect(list.map((x) => x.type).sort()).toEqual([
      'credential_stuffing_account',
      'failed_login_burst_account',
    ]);
    const burst = list.find((x) => x.type === 'failed_login_burst_account')!;
    expect(burst).toMatchObject({ severity: 'medium', occurrences: 1 });
    expect(burst.evidence).toMatchObject({ failures: 10, ips: 5 });
    expect((await threats(admin, `?user=${victim.userId}&severity=high`)).map((x) => x.type)).toEqual([
      'credential_stuffing_account',
    ]);
  });

  it('with the DEFAULT lockout, an attacker hammering a locked account raises the burst threat: refused attempts (429) count', async () => {
    const defaults = Object.fromEntries(
      SETTINGS.filter((x) => x.env.startsWith('LOCKOUT_')).map((x) => [
        x.env,
        'default' in x ? x.default : '',
      ]),
    );
    expect(defaults).toMatchObject({ LOCKOUT_ACCOUNT_THRESHOLD: '5', LOCKOUT_BASE: '1m' });
    const guarded = await createSiblingApp(t, { TRUST_PROXY: '127.0.0.1', ...defaults });
    try {
      const victim = await addMember(t, admin, 'viewer');
      const ip = '192.0.2.150';
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await guarded.request({
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { 'x-forwarded-for': ip, 'user-agent': 'bul-test' },
          payload: { email: victim.email, password: `nope-${i}` },
        });
        statuses.push(res.statusCode);
      }
      // Five wrong passwords get through (the fifth locks the account); the rest are refused.
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
      const burst = (await threats(admin, `?user=${victim.userId}`)).filter(
        (x) => x.type === 'failed_login_burst_account',
      );
      expect(burst).toHaveLength(1);
      expect(burst[0]!.evidence).toMatchObject({ failures: 12, ips: 1, lastReason: 'locked' });
      expect(burst[0]!.occurrences).toBe(3);
    } finally {
      await guarded.close();
    }
  });

  it('unknown e-mails from one address: a platform threat (nil organization) that super admins read with scope=platform', async () => {
    const ip = '192.0.2.200';
    for (let i = 0; i < 20; i++) await loginFrom(ip, uniqueEmail('ghost'), 'whatever-1');
    expectProblem(await api(admin, 'GET', '/security/threats?scope=platform'), 403, 'forbidden');
    expect((await threats(admin)).some((x) => x.ip === ip)).toBe(false);
    await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [admin.userId]);
    try {
      const root = await login(t, admin.email);
      const platform = (await threats(root, '?scope=platform')).filter((x) => x.ip === ip);
      expect(platform.map((x) => x.type).sort()).toEqual(['credential_stuffing_ip', 'failed_login_burst_ip']);
      const dash = (await api(root, 'GET', '/security/dashboard?scope=platform')).json();
      expect(dash.scope).toBe('platform');
      expect(dash.last24h.topIps.some((x: { ip: string }) => x.ip === ip)).toBe(true);
    } finally {
      await t.owner('UPDATE users SET is_super_admin = false WHERE id = $1', [admin.userId]);
    }
  });
});

describe('sessions and keys', () => {
  it('refresh-token reuse: the replayed token is refused and raises a high threat with its event', async () => {
    const member = await addMember(t, admin, 'analyst');
    const first = await t.request({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: member.refreshToken },
    });
    expect(first.statusCode, first.body).toBe(200);
    const replay = await t.request({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: { 'x-forwarded-for': '198.51.100.66' },
      payload: { refreshToken: member.refreshToken },
    });
    expectProblem(replay, 401, 'invalid-token');
    const [threat] = await threats(admin, `?type=refresh_token_reuse&user=${member.userId}`);
    expect(threat).toMatchObject({ severity: 'high', ip: '198.51.100.66' });
    expect(threat!.evidence).toMatchObject({ sessionRevoked: true });
    expect(await detectedEvents(admin.orgId, threat!.id)).toHaveLength(1);
  });

  it('an API key used from a second network raises a threat; its first network does not', async () => {
    const created = await api(admin, 'POST', '/api-keys', { name: 'CI', scopes: ['clients:read'] });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json();
    const call = (ip: string) =>
      t.request({
        method: 'GET',
        url: '/api/v1/clients',
        headers: { authorization: `Bearer ${key.key}`, 'x-forwarded-for': ip },
      });
    expect((await call('203.0.113.40')).statusCode).toBe(200);
    await expect
      .poll(
        async () =>
          (await t.owner('SELECT 1 FROM security_api_key_networks WHERE api_key_id = $1', [key.id])).rowCount,
        { timeout: 10_000, interval: 50 },
      )
      .toBe(1);
    expect((await threats(admin, '?type=api_key_new_ip')).length).toBe(0);
    expect((await call('203.0.113.41')).statusCode).toBe(200); // same /24: known
    expect((await call('198.51.100.20')).statusCode).toBe(200);
    const threat = await threatEventually(admin, '?type=api_key_new_ip', (x) => x.ip === '198.51.100.20');
    expect(threat.evidence).toMatchObject({ apiKeyId: key.id, network: '198.51.100.0/24', knownNetworks: 1 });
  });
});

describe('where a user signs in from', () => {
  it('a login from a new network and device notifies the user in their inbox; their first login does not', async () => {
    const email = uniqueEmail('traveller');
    const member = await addMember(t, admin, 'developer', email);
    // The member's first login (addMember) is on record once the worker has seen it.
    await expect
      .poll(
        async () =>
          (await t.owner('SELECT 1 FROM security_login_origins WHERE user_id = $1', [member.userId]))
            .rowCount,
        { timeout: 15_000, interval: 100 },
      )
      .toBeGreaterThan(0);
    expect((await threats(admin, `?user=${member.userId}&type=new_login_location`)).length).toBe(0);

    const res = await loginFrom('203.0.113.10', email, STRONG_PASSWORD, FIREFOX, {
      organization: admin.orgId,
    });
    expect(res.statusCode, res.body).toBe(200);
    const threat = await threatEventually(
      admin,
      `?user=${member.userId}&type=new_login_location`,
      () => true,
    );
    // Its first login came without a browser's user agent: Firefox sets the device baseline.
    expect(threat.evidence).toMatchObject({
      network: '203.0.113.0/24',
      device: 'Firefox on Linux',
      newOrigins: ['network'],
    });
    const me = { ...member, headers: { authorization: `Bearer ${res.json().accessToken}` } };
    await expect
      .poll(
        async () =>
          ((await api(me, 'GET', '/me/notifications')).json().items as { eventType: string }[]).some(
            (i) => i.eventType === 'security.new_login_location',
          ),
        { timeout: 15_000, interval: 100 },
      )
      .toBe(true);
    const item = (
      (await api(me, 'GET', '/me/notifications')).json().items as {
        eventType: string;
        subject: string;
        body: string;
      }[]
    ).find((i) => i.eventType === 'security.new_login_location')!;
    expect(item.subject).toContain('Firefox on Linux');
    expect(item.body).toContain('203.0.113.10');

    // Safari on iOS from the same network is a new device now that Firefox is on record; a login
    // without a user agent is never one.
    expect(
      (await loginFrom('203.0.113.11', email, STRONG_PASSWORD, SAFARI_IOS, { organization: admin.orgId }))
        .statusCode,
    ).toBe(200);
    const device = await threatEventually(admin, `?user=${member.userId}&type=new_login_location`, (x) =>
      (x.evidence as { newOrigins: string[] }).newOrigins.includes('device'),
    );
    expect(device.evidence).toMatchObject({ device: 'Safari on iOS', newOrigins: ['device'] });
  });

  it('impossible travel: Amsterdam then Sydney minutes apart (GEOIP_DB_PATH) → a high threat with the speed', async () => {
    const email = uniqueEmail('jetlag');
    const member = await addMember(t, admin, 'developer', email);
    expect(
      (await loginFrom('203.0.113.20', email, STRONG_PASSWORD, FIREFOX, { organization: admin.orgId }))
        .statusCode,
    ).toBe(200);
    expect(
      (await loginFrom('198.51.100.30', email, STRONG_PASSWORD, FIREFOX, { organization: admin.orgId }))
        .statusCode,
    ).toBe(200);
    const threat = await threatEventually(admin, `?user=${member.userId}&type=impossible_travel`, () => true);
    expect(threat.severity).toBe('high');
    expect(threat.evidence).toMatchObject({ from: { country: 'NL' }, to: { country: 'AU' } });
    expect(threat.evidence.distanceKm as number).toBeGreaterThan(16_000);
    expect(threat.evidence.kmPerHour as number).toBeGreaterThan(1000);
    // Sydney was a new country for the member, once a country was on record.
    const moved = await threatEventually(admin, `?user=${member.userId}&type=new_login_location`, (x) =>
      (x.evidence.newOrigins as string[]).includes('country'),
    );
    expect(moved.severity).toBe('medium');
  });
});

describe('what users do', () => {
  it('permission escalation: a developer made organization admin → high; a custom role gaining permissions → a threat', async () => {
    const member = await addMember(t, admin, 'developer');
    const roles = (await api(admin, 'GET', '/roles')).json().items as { id: string; key: string | null }[];
    const adminRole = roles.find((r) => r.key === 'org_admin')!;
    const res = await api(admin, 'PATCH', `/members/${await membershipIdOf(member.userId)}`, {
      roleId: adminRole.id,
    });
    expect(res.statusCode, res.body).toBe(200);
    const threat = await threatEventually(
      admin,
      `?type=permission_escalation&user=${member.userId}`,
      () => true,
    );
    expect(threat.severity).toBe('high');
    expect(threat.evidence).toMatchObject({
      kind: 'member_role',
      role: { key: 'org_admin' },
      changedBy: admin.userId,
    });
    expect(threat.evidence.gained as string[]).toContain('roles:manage');

    const role = await api(admin, 'POST', '/roles', { name: 'Readers', permissions: ['clients:read'] });
    expect(role.statusCode, role.body).toBe(201);
    const grown = await api(admin, 'PATCH', `/roles/${role.json().id}`, {
      permissions: ['clients:read', 'api_keys:manage'],
    });
    expect(grown.statusCode, grown.body).toBe(200);
    const custom = await threatEventually(
      admin,
      '?type=permission_escalation',
      (x) => x.evidence.kind === 'custom_role',
    );
    expect(custom).toMatchObject({ severity: 'high', userId: admin.userId });
    expect(custom.evidence.gained).toEqual(['api_keys:manage']);
  });

  it('mass delete: 25 clients deleted by one user within 10 minutes → one threat', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 26; i++) {
      const c = await api(admin, 'POST', '/clients', { name: `Doomed ${i}` });
      expect(c.statusCode, c.body).toBe(201);
      ids.push(c.json().id);
    }
    for (const id of ids) expect((await api(admin, 'DELETE', `/clients/${id}`)).statusCode).toBe(204);
    const threat = await threatEventually(admin, '?type=mass_delete', (x) => x.userId === admin.userId);
    expect(threat.severity).toBe('high');
    await expect
      .poll(async () => (await threats(admin, '?type=mass_delete'))[0]!.occurrences, { timeout: 15_000 })
      .toBe(2);
    expect(await threats(admin, '?type=mass_delete')).toHaveLength(1);
  });
});

describe('the threat list', () => {
  it('dismissing a threat: status, audit, and a second dismissal is a conflict', async () => {
    const [first] = await threats(admin, '?type=credential_stuffing_ip');
    const res = await api(admin, 'POST', `/security/threats/${first!.id}/dismiss`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'dismissed', dismissedBy: admin.userId });
    expectProblem(await api(admin, 'POST', `/security/threats/${first!.id}/dismiss`), 409, 'conflict');
    expect((await threats(admin, '?status=dismissed')).map((x) => x.id)).toContain(first!.id);
    expectProblem(
      await api(admin, 'GET', '/security/threats/0190b5c4-0000-7000-8000-000000000000'),
      404,
      'not-found',
    );
  });

  it('pages newest first', async () => {
    const page1 = await api(admin, 'GET', '/security/threats?limit=2');
    const body = page1.json();
    expect(body.items).toHaveLength(2);
    expect(body.nextCursor).toBeTruthy();
    const page2 = (await api(admin, 'GET', `/security/threats?limit=2&cursor=${body.nextCursor}`)).json();
    expect(page2.items[0].id).not.toBe(body.items[1].id);
  });

  it('bad input on the filters is refused naming the field; members without security:read get 403', async () => {
    expectFieldError(await api(admin, 'GET', '/security/threats?severity=extreme'), 'severity');
    expectFieldError(await api(admin, 'GET', '/security/threats?type=bad_vibes'), 'type');
    expectFieldError(await api(admin, 'GET', '/security/threats?user=not-a-uuid'), 'user');
    expectFieldError(await api(admin, 'GET', '/security/threats?from=yesterday'), 'from');
    expectFieldError(
      await api(admin, 'GET', '/security/threats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'),
      'to',
      'after',
    );
    expectFieldError(await api(admin, 'GET', '/security/threats?limit=0'), 'limit');
    expectFieldError(await api(admin, 'GET', '/security/threats?cursor=garbage'), 'cursor');
    expectFieldError(await api(admin, 'GET', '/security/threats?colour=red'), 'colour');
    expectFieldError(await api(admin, 'GET', '/security/dashboard?scope=galaxy'), 'scope');
    const viewer = await addMember(t, admin, 'viewer');
    expectProblem(await api(viewer, 'GET', '/security/threats'), 403, 'forbidden');
    expectProblem(await api(viewer, 'GET', '/security/dashboard'), 403, 'forbidden');
  });
});

describe('building blocks', () => {
  it('networks, devices, the GeoIP CSV and distances', () => {
    expect(networkOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('::ffff:203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(deviceOf(FIREFOX)).toBe('Firefox on Linux');
    expect(deviceOf(SAFARI_IOS)).toBe('Safari on iOS');
    expect(deviceOf(null)).toBe('Unknown device');
    const db = GeoIpDatabase.parse(
      'start_ip,end_ip,country,latitude,longitude\n1.0.0.0,1.0.0.255,AU,-33.5,143.2\n2001:db8::,2001:db8::ffff,NL,52.37,4.89\n',
    );
    expect(db.lookup('1.0.0.9')).toEqual({ country: 'AU', latitude: -33.5, longitude: 143.2 });
    expect(db.lookup('2001:db8::10')?.country).toBe('NL');
    expect(db.lookup('1.0.1.0')).toBeNull();
    expect(() => GeoIpDatabase.parse('9.9.9.9,1.1.1.1,XX,0,0')).toThrow(/line 1/);
    expect(
      Math.round(distanceKm({ latitude: 52.37, longitude: 4.89 }, { latitude: 48.86, longitude: 2.35 })),
    ).toBeGreaterThan(420);
  });
});
