// Alerting end to end (issue 17, L1-L2) on a real database, with a controlled clock: samples are
// injected through MonitoringService.record at chosen times and the evaluator runs the tick we
// name. Rules refused naming the field; the lifecycle pending → firing → acknowledged → resolved
// with its history, events and audit; cooldown; silence; a platform rule vs an organization rule;
// exactly one evaluation per tick with two workers; built-in rules installed and never
// overwritten; the preview; alert.fired reaching the in-app inbox through the notifications pipeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluationRun } from '../src/modules/alerts/definition.ts';
import type { AlertServices } from '../src/modules/alerts/service.ts';
import type { MonitoringService, SampleInput } from '../src/modules/monitoring/service.ts';
import { PLATFORM_ORG_ID } from '../src/platform/db/ids.ts';
import { TickLoop } from '../src/platform/jobs/tick-loop.ts';
import type { BulComposition } from '../src/services.ts';
import { composeWorker, startEvents } from './support/event-worker-inline.ts';
import { expectFieldError, expectProblem } from './support/problems.ts';
import { addMember, createTestApp, login, type Session, signUp, type TestApp } from './support/test-app.ts';

let t: TestApp;
let alerts: AlertServices;
let monitoring: MonitoringService;
let a: Session;
let b: Session;
let root: Session;

/** An hour ago, on the hour: every tick below is a multiple of 15 s from it. */
const BASE = Math.floor(Date.now() / 3600_000) * 3600_000 - 3600_000;
const at = (seconds: number) => new Date(BASE + seconds * 1000);

beforeAll(async () => {
  t = await createTestApp();
  alerts = t.services.alerts as AlertServices;
  monitoring = t.services.monitoring as MonitoringService;
  a = await signUp(t, { orgName: 'Alerts A' });
  b = await signUp(t, { orgName: 'Alerts B' });
  const sa = await signUp(t, { orgName: 'Platform operators' });
  await t.owner('UPDATE users SET is_super_admin = true WHERE id = $1', [sa.userId]);
  root = await login(t, sa.email);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

function api(s: Session, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return t.request({
    method,
    url: `/api/v1${url}`,
    headers: s.headers,
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function createRule(s: Session, body: Record<string, unknown>) {
  const res = await api(s, 'POST', '/alerts/rules', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; scope: string };
}

/** One sample per 15 s step from `fromSeconds`, for an organization (null: the platform). */
async function samples(
  orgId: string | null,
  metric: SampleInput['metric'],
  fromSeconds: number,
  values: number[],
) {
  await monitoring.record(values.map((value, i) => ({ orgId, metric, value, at: at(fromSeconds + i * 15) })));
}

async function alertOf(s: Session, ruleId: string, scope = 'organization') {
  const res = await api(s, 'GET', `/alerts/list?ruleId=${ruleId}&scope=${scope}`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as { id: string; status: string; value: number }[])[0];
}

const quotaRule = (over: Record<string, unknown> = {}) => ({
  name: 'Users quota high',
  type: 'business',
  severity: 'warning',
  conditions: [{ metric: 'quota.users.percent', operator: 'gt', threshold: 80, forMinutes: 1 }],
  evaluateEverySeconds: 15,
  cooldownMinutes: 5,
  channels: ['in_app'],
  ...over,
});

describe('bad input is refused naming the field', () => {
  const base = quotaRule();
  const cond = (c: Record<string, unknown>) => ({ ...base, conditions: [{ ...base.conditions[0], ...c }] });
  const cases: [string, Record<string, unknown>, string, string?][] = [
    ['an unknown metric', cond({ metric: 'system.coffee.level' }), 'conditions[0].metric', 'metric'],
    [
      'a platform metric in an organization rule',
      cond({ metric: 'system.cpu.percent' }),
      'conditions[0].metric',
      'metricScope',
    ],
    ['a percentage above 100', cond({ threshold: 150 }), 'conditions[0].threshold', 'range'],
    ['a negative percentage', cond({ threshold: -1 }), 'conditions[0].threshold', 'range'],
    [
      'negative milliseconds',
      cond({ metric: 'http.response_time.p95_ms', threshold: -5 }),
      'conditions[0].threshold',
      'minimum',
    ],
    [
      'a negative count',
      cond({ metric: 'security.failed_logins', threshold: -1 }),
      'conditions[0].threshold',
      'minimum',
    ],
    [
      'a window shorter than the sampling interval',
      cond({ forMinutes: 0.1 }),
      'conditions[0].forMinutes',
      'window',
    ],
    ['contains on a percentage', cond({ operator: 'contains' }), 'conditions[0].operator', 'contains'],
    ['an unknown operator', cond({ operator: 'between' }), 'conditions[0].operator'],
    ['a cooldown of zero', { ...base, cooldownMinutes: 0 }, 'cooldownMinutes', 'minimum'],
    [
      'an interval not a multiple of 15 s',
      { ...base, evaluateEverySeconds: 20 },
      'evaluateEverySeconds',
      'multipleOf',
    ],
    ['no conditions', { ...base, conditions: [] }, 'conditions', 'minItems'],
    ['a label the metric does not have', cond({ labels: { 'a,b': 'c=d' } }), 'conditions[0].labels', 'label'],
    [
      'a label value no sample carries',
      cond({ metric: 'security.threats', threshold: 0, labels: { severity: 'c=d' } }),
      'conditions[0].labels',
      'labelValue',
    ],
    ['an unknown severity', { ...base, severity: 'apocalyptic' }, 'severity'],
  ];
  for (const [what, body, field, rule] of cases)
    it(`${what}: 400 naming ${field}`, async () => {
      expectFieldError(await api(a, 'POST', '/alerts/rules', body), field, rule);
    });

  it('the preview refuses the same, and platform rules need a super admin', async () => {
    expectFieldError(
      await api(a, 'POST', '/alerts/rules/preview', { conditions: cond({ threshold: 101 }).conditions }),
      'conditions[0].threshold',
    );
    expectProblem(await api(a, 'POST', '/alerts/rules', { ...base, scope: 'platform' }), 403, 'forbidden');
    expectProblem(await api(a, 'GET', '/alerts/rules?scope=platform'), 403, 'forbidden');
    // An org metric in a platform rule.
    expectFieldError(
      await api(root, 'POST', '/alerts/rules', { ...base, scope: 'platform' }),
      'conditions[0].metric',
      'metricScope',
    );
  });
});

describe('the lifecycle, with history', () => {
  it('pending → firing → acknowledged → resolved automatically, with events, audit and history; then the cooldown', async () => {
    const rule = await createRule(a, quotaRule());
    // 70 % for a minute, then 90 % from 60 s on.
    await samples(a.orgId, 'quota.users.percent', 0, [70, 70, 70, 70, 90, 90, 90, 90, 90, 90]);
    const evaluate = (s: number) => alerts.evaluator.evaluateOrg(a.orgId, at(s));

    await evaluate(60); // nothing breaches yet (the 60 s step is not complete)
    expect(await alertOf(a, rule.id)).toBeUndefined();
    await evaluate(75); // the latest step breaches, the window does not hold yet
    expect((await alertOf(a, rule.id))?.status).toBe('pending');
    await evaluate(120); // window [60 s, 120 s): still one step short? no: steps 60..105 all breach
    const fired = await alertOf(a, rule.id);
    expect(fired?.status).toBe('firing');
    expect(fired?.value).toBe(90);

    // Acknowledge with a comment; again is a 409; another organization gets 404.
    expectProblem(await api(b, 'POST', '/alerts/acknowledge', { alertId: fired!.id }), 404, 'not-found');
    expectProblem(await api(b, 'POST', '/alerts/resolve', { alertId: fired!.id }), 404, 'not-found');
    expectProblem(
      await api(b, 'POST', '/alerts/silence', {
        alertId: fired!.id,
        until: new Date(Date.now() + 3600_000).toISOString(),
      }),
      404,
      'not-found',
    );
    const acked = await api(a, 'POST', '/alerts/acknowledge', { alertId: fired!.id, comment: 'on it' });
    expect(acked.statusCode, acked.body).toBe(200);
    expect(acked.json()).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: a.userId,
      ackComment: 'on it',
    });
    expectProblem(
      await api(a, 'POST', '/alerts/acknowledge', { alertId: fired!.id }),
      409,
      'invalid-transition',
    );

    // Back to 50 %: resolved by the evaluator.
    await samples(a.orgId, 'quota.users.percent', 150, [50, 50]);
    await evaluate(180);
    const res = await api(a, 'GET', `/alerts/${fired!.id}`);
    expect(res.statusCode, res.body).toBe(200);
    const alert = res.json();
    expect(alert).toMatchObject({ status: 'resolved', resolution: 'auto', ackComment: 'on it' });
    expect(alert.history.map((h: { from: string | null; to: string }) => [h.from, h.to])).toEqual([
      [null, 'pending'],
      ['pending', 'firing'],
      ['firing', 'acknowledged'],
      ['acknowledged', 'resolved'],
    ]);
    expect(alert.history[2]).toMatchObject({ actorId: a.userId, comment: 'on it' });
    // Acknowledging a resolved alert: 409 with the catalogued error.
    const late = expectProblem(
      await api(a, 'POST', '/alerts/acknowledge', { alertId: fired!.id }),
      409,
      'invalid-transition',
    );
    expect(late.allowedMoves).toEqual([]);

    const { rows: events } = await t.owner<{ type: string }>(
      "SELECT type FROM domain_events WHERE org_id = $1 AND payload->>'id' = $2 ORDER BY emitted",
      [a.orgId, fired!.id],
    );
    expect(events.map((e) => e.type)).toEqual(['alert.fired', 'alert.acknowledged', 'alert.resolved']);
    const { rows: audit } = await t.owner<{ action: string }>(
      "SELECT action FROM audit_events WHERE org_id = $1 AND resource_type = 'alert' AND resource_id = $2 ORDER BY created_at",
      [a.orgId, fired!.id],
    );
    // Opening as pending is not audited (it may never fire): the firing is, from pending.
    expect(audit.map((r) => r.action)).toEqual(['alert.fire', 'alert.acknowledge', 'alert.resolve']);

    // Cooldown (5 min from 180 s): breaching again at once opens nothing until 480 s.
    await samples(
      a.orgId,
      'quota.users.percent',
      180,
      Array.from({ length: 24 }, () => 95),
    );
    await evaluate(300);
    expect((await alertOf(a, rule.id))?.id).toBe(fired!.id);
    await evaluate(480);
    const next = await alertOf(a, rule.id);
    expect(next?.id).not.toBe(fired!.id);
    expect(next?.status).toBe('firing');

    // Resolved by hand; the executive view lists it after the active ones.
    const resolved = await api(a, 'POST', '/alerts/resolve', {
      alertId: next!.id,
      comment: 'fixed the plan',
    });
    expect(resolved.json()).toMatchObject({ status: 'resolved', resolution: 'manual', resolvedBy: a.userId });
    expectProblem(await api(a, 'POST', '/alerts/resolve', { alertId: next!.id }), 409, 'invalid-transition');
  });

  it('silence: the rule’s alerts still fire, the event says nobody is to be notified', async () => {
    const rule = await createRule(
      a,
      quotaRule({
        name: 'Storage',
        conditions: [{ metric: 'quota.storage.percent', operator: 'gte', threshold: 90, forMinutes: 1 }],
      }),
    );
    await samples(a.orgId, 'quota.storage.percent', 0, [95, 95, 95, 95, 95]);
    await alerts.evaluator.evaluateOrg(a.orgId, at(60));
    const first = await alertOf(a, rule.id);
    expect(first?.status).toBe('firing');
    expectFieldError(
      await api(a, 'POST', '/alerts/silence', { alertId: first!.id, until: at(0).toISOString() }),
      'until',
    );
    const until = new Date(Date.now() + 3600_000).toISOString();
    const silenced = await api(a, 'POST', '/alerts/silence', {
      alertId: first!.id,
      until,
      comment: 'maintenance',
    });
    expect(silenced.statusCode, silenced.body).toBe(200);
    expect(silenced.json().silencedUntil).toBe(until);
    expect(silenced.json().history.at(-1)).toMatchObject({ to: 'silenced', comment: 'maintenance' });
    await samples(a.orgId, 'quota.storage.percent', 75, [10]);
    await alerts.evaluator.evaluateOrg(a.orgId, at(90));
    const { rows } = await t.owner<{ notify: boolean }>(
      "SELECT (payload->>'notify')::boolean AS notify FROM domain_events WHERE org_id = $1 AND type = 'alert.resolved' AND payload->>'id' = $2",
      [a.orgId, first!.id],
    );
    expect(rows).toEqual([{ notify: false }]);
  });
});

describe('a platform rule vs an organization rule', () => {
  it('each fires on its own samples only, and each is seen only in its own scope', async () => {
    const platformRule = await createRule(root, {
      name: 'CPU hot',
      type: 'performance',
      severity: 'critical',
      scope: 'platform',
      conditions: [{ metric: 'system.cpu.percent', operator: 'gte', threshold: 90, forMinutes: 1 }],
      evaluateEverySeconds: 15,
    });
    expect(platformRule.scope).toBe('platform');
    const ruleB = await createRule(b, quotaRule({ name: 'B quota' }));
    await samples(null, 'system.cpu.percent', 600, [99, 99, 99, 99, 99]);
    // Organization A breaches B's threshold; B itself does not.
    await samples(a.orgId, 'quota.users.percent', 600, [99, 99, 99, 99, 99]);
    await samples(b.orgId, 'quota.users.percent', 600, [10, 10, 10, 10, 10]);
    await alerts.evaluator.runTick(at(660));

    const platformAlert = await alertOf(root, platformRule.id, 'platform');
    expect(platformAlert?.status).toBe('firing');
    expect(await alertOf(b, ruleB.id)).toBeUndefined();
    // Not visible to organizations, not even to the super admin's own organization scope.
    expectProblem(await api(a, 'GET', `/alerts/${platformAlert!.id}`), 404, 'not-found');
    expectProblem(await api(root, 'GET', `/alerts/${platformAlert!.id}`), 404, 'not-found');
    expectProblem(
      await api(a, 'POST', '/alerts/acknowledge', { alertId: platformAlert!.id }),
      404,
      'not-found',
    );
    const list = await api(root, 'GET', '/alerts/list?scope=organization');
    expect(list.json().items.map((i: { id: string }) => i.id)).not.toContain(platformAlert!.id);
    expectProblem(await api(a, 'GET', '/executive/alerts?scope=platform'), 403, 'forbidden');
    const exec = await api(root, 'GET', '/executive/alerts?scope=platform&limit=5');
    expect(exec.json()).toMatchObject({ activeCritical: 1 });
    expect(exec.json().items[0].id).toBe(platformAlert!.id);

    // The application role in A's context sees none of the platform's rows (row-level security).
    const client = await t.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('app.org_id', $1, true)", [a.orgId]);
      const { rows } = await client.query('SELECT id FROM alert_rules WHERE org_id = $1', [PLATFORM_ORG_ID]);
      expect(rows).toEqual([]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

describe('exactly one evaluation per tick with two workers', () => {
  it('two tick loops on one database, the same tick: one runs it, the alert fires once', async () => {
    const rule = await createRule(
      b,
      quotaRule({
        name: 'Once',
        conditions: [{ metric: 'quota.api_requests.percent', operator: 'gt', threshold: 50, forMinutes: 1 }],
      }),
    );
    await samples(b.orgId, 'quota.api_requests.percent', 1200, [60, 60, 60, 60, 60]);
    let runs = 0;
    const loop = () =>
      new TickLoop({
        pool: t.pool,
        name: 'alerts:evaluate:test',
        everyMs: 15_000,
        run: async (tick) => {
          runs++;
          await alerts.evaluator.runTick(tick);
        },
        onError: (err) => {
          throw err;
        },
      });
    const ran = await Promise.all([
      loop().runOnce(at(1260).getTime() + 5),
      loop().runOnce(at(1260).getTime() + 90),
    ]);
    expect(ran.filter(Boolean)).toHaveLength(1);
    expect(runs).toBe(1);
    const alert = await alertOf(b, rule.id);
    const { rows } = await t.owner<{ n: number }>(
      "SELECT count(*)::int AS n FROM alert_transitions WHERE alert_id = $1 AND to_status = 'firing'",
      [alert!.id],
    );
    expect(rows[0]!.n).toBe(1);
  });
});

describe('built-in rules', () => {
  it('are installed for every organization and the platform, tunable, never overwritten, not deletable', async () => {
    await alerts.evaluator.installMissing();
    const keys = async (s: Session, scope = 'organization') =>
      (
        (await api(s, 'GET', `/alerts/rules?scope=${scope}&limit=200`)).json().items as {
          builtinKey: string | null;
          id: string;
          conditions: { threshold: number }[];
        }[]
      ).filter((r) => r.builtinKey);
    const orgRules = await keys(a);
    expect(orgRules.map((r) => r.builtinKey).sort()).toEqual(
      [
        'error_rate_high',
        'failed_login_burst',
        'quota_near_limit',
        'response_time_high',
        'security_threat',
      ].sort(),
    );
    const platform = await keys(root, 'platform');
    expect(platform.map((r) => r.builtinKey).sort()).toEqual(
      [
        'backup_failed',
        'backup_missing',
        'cpu_high',
        'error_rate_high',
        'health_check_failing',
        'memory_high',
        'response_time_high',
      ].sort(),
    );
    const burst = orgRules.find((r) => r.builtinKey === 'failed_login_burst')!;
    const tuned = await api(a, 'PATCH', `/alerts/rules/${burst.id}`, {
      conditions: [{ metric: 'security.failed_logins', operator: 'gt', threshold: 50, forMinutes: 10 }],
    });
    expect(tuned.statusCode, tuned.body).toBe(200);
    expectProblem(await api(a, 'DELETE', `/alerts/rules/${burst.id}`), 409, 'conflict');
    expect(await alerts.evaluator.installMissing()).toBe(0);
    const again = (await keys(a)).find((r) => r.builtinKey === 'failed_login_burst')!;
    expect(again.conditions[0]!.threshold).toBe(50);
    // A missing one (an upgrade that adds it) is inserted, the others untouched.
    await t.owner("DELETE FROM alert_rules WHERE org_id = $1 AND builtin_key = 'security_threat'", [a.orgId]);
    expect(await alerts.evaluator.installMissing()).toBe(1);
  });

  it('the failed-login burst compares the total of the window', async () => {
    const rule = (await api(a, 'GET', '/alerts/rules?limit=200'))
      .json()
      .items.find((r: { builtinKey: string }) => r.builtinKey === 'failed_login_burst');
    await api(a, 'PATCH', `/alerts/rules/${rule.id}`, { evaluateEverySeconds: 15 });
    await monitoring.record(
      Array.from({ length: 51 }, (_, i) => ({
        orgId: a.orgId,
        metric: 'security.failed_logins' as const,
        value: 1,
        at: at(1800 + (i % 20) * 15),
      })),
    );
    await alerts.evaluator.evaluateOrg(a.orgId, at(2100));
    expect((await alertOf(a, rule.id))?.status).toBe('firing');
  });
});

describe('preview', () => {
  it('needs alerts:manage (it reads a day of samples per condition)', async () => {
    const manager = await addMember(t, a, 'manager');
    expect((await api(manager, 'GET', '/alerts/rules')).statusCode).toBe(200);
    expectProblem(
      await api(manager, 'POST', '/alerts/rules/preview', { conditions: quotaRule().conditions }),
      403,
      'forbidden',
    );
  });

  it('replays the last 24 hours at least a minute apart: when the rule would have fired and resolved', async () => {
    const now = Math.floor(Date.now() / 15_000) * 15_000;
    const start = now - 3 * 3600_000;
    await monitoring.record(
      Array.from({ length: 40 }, (_, i) => ({
        orgId: b.orgId,
        metric: 'quota.storage.percent' as const,
        value: i >= 10 && i < 30 ? 97 : 20,
        at: new Date(start + i * 15_000),
      })),
    );
    const res = await api(b, 'POST', '/alerts/rules/preview', {
      conditions: [{ metric: 'quota.storage.percent', operator: 'gt', threshold: 90, forMinutes: 2 }],
      evaluateEverySeconds: 15,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.fired).toBe(1);
    // Every minute (not every 15 s as asked): the first whole minute at or after each moment.
    const minute = (ms: number) => new Date(Math.ceil(ms / 60_000) * 60_000).toISOString();
    expect(body.episodes[0]).toMatchObject({
      firedAt: minute(start + 18 * 15_000),
      resolvedAt: minute(start + 30 * 15_000),
      value: 97,
    });
  });
});

describe('no data, flapping, retention, a failing install', () => {
  it('a firing alert stays open while its samples stop (no alert.resolved), and resolves when they return', async () => {
    const rule = await createRule(
      a,
      quotaRule({
        name: 'Silent',
        conditions: [{ metric: 'quota.api_requests.percent', operator: 'gt', threshold: 80, forMinutes: 1 }],
      }),
    );
    await samples(a.orgId, 'quota.api_requests.percent', 3000, [95, 95, 95, 95, 95]);
    await alerts.evaluator.evaluateOrg(a.orgId, at(3060));
    const fired = await alertOf(a, rule.id);
    expect(fired?.status).toBe('firing');
    // The samples stop (a process died): an hour later it is still firing, nothing resolved it.
    await alerts.evaluator.evaluateOrg(a.orgId, at(3060 + 600));
    await alerts.evaluator.evaluateOrg(a.orgId, at(3060 + 3600));
    expect((await alertOf(a, rule.id))?.status).toBe('firing');
    const resolvedEvents = async () =>
      (
        await t.owner<{ n: number }>(
          "SELECT count(*)::int AS n FROM domain_events WHERE type = 'alert.resolved' AND payload->>'id' = $1",
          [fired!.id],
        )
      ).rows[0]!.n;
    expect(await resolvedEvents()).toBe(0);
    // Data returns, below the threshold: resolved.
    await samples(a.orgId, 'quota.api_requests.percent', 6600, [10]);
    await alerts.evaluator.evaluateOrg(a.orgId, at(6630));
    expect((await alertOf(a, rule.id))?.status).toBe('resolved');
    expect(await resolvedEvents()).toBe(1);
  });

  it('a gauge flapping around its threshold leaves no alerts, history or audit behind', async () => {
    const rule = await createRule(
      b,
      quotaRule({
        name: 'Flapping',
        conditions: [{ metric: 'health.score', operator: 'gt', threshold: 80, forMinutes: 5 }],
      }),
    );
    const values = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 90 : 10));
    await samples(b.orgId, 'health.score', 3000, values);
    for (let s = 3015; s <= 3300; s += 15) await alerts.evaluator.evaluateOrg(b.orgId, at(s));
    const { rows } = await t.owner<{ alerts: number; audit: number }>(
      `SELECT (SELECT count(*)::int FROM alerts WHERE rule_id = $1) AS alerts,
              (SELECT count(*)::int FROM audit_events WHERE org_id = $2 AND resource_type = 'alert'
                 AND metadata->>'ruleId' = $1::text) AS audit`,
      [rule.id, b.orgId],
    );
    // At most the pending alert of the last breaching step, and no audit row at all.
    expect(rows[0]!.alerts).toBeLessThanOrEqual(1);
    expect(rows[0]!.audit).toBe(0);
  });

  it('deletes alerts resolved more than ALERT_RETENTION_DAYS ago, with their history', async () => {
    expect(t.config.alertRetentionDays).toBe(180);
    const { rows: resolved } = await t.owner<{ id: string; org_id: string }>(
      "SELECT id, org_id FROM alerts WHERE status = 'resolved' AND org_id = $1 ORDER BY id LIMIT 2",
      [a.orgId],
    );
    expect(resolved).toHaveLength(2);
    await t.owner("UPDATE alerts SET resolved_at = now() - interval '181 days' WHERE id = $1", [
      resolved[0]!.id,
    ]);
    expect(await alerts.evaluator.pruneResolved(new Date(), 180)).toBeGreaterThanOrEqual(1);
    const left = async (id: string) =>
      (
        await t.owner<{ n: number }>(
          'SELECT (SELECT count(*) FROM alerts WHERE id = $1) + (SELECT count(*) FROM alert_transitions WHERE alert_id = $1) AS n',
          [id],
        )
      ).rows[0]!.n;
    expect(Number(await left(resolved[0]!.id))).toBe(0);
    expect(Number(await left(resolved[1]!.id))).toBeGreaterThan(0);
  });

  it('a failing install of built-in rules is logged and the tick still evaluates', async () => {
    const errors: unknown[] = [];
    const ticks: Date[] = [];
    const run = evaluationRun(
      {
        installMissing: async () => {
          throw new Error('connection lost');
        },
        runTick: async (tick) => {
          ticks.push(tick);
          return { orgs: 0, rules: 0, reads: 0, transitions: 0, failed: [] };
        },
      },
      (err) => errors.push(err),
      () => {},
    );
    await run(at(0));
    expect(ticks).toEqual([at(0)]);
    expect(errors).toHaveLength(1);
  });
});

describe('notifications', () => {
  let composition: BulComposition;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    composition = await composeWorker(t);
    stop = await startEvents(t, composition);
  });
  afterAll(async () => {
    await stop?.();
  });

  it('alert.fired reaches the in-app inbox of the rule’s recipients; a platform alert reaches the super admins', async () => {
    const rule = await createRule(
      b,
      quotaRule({
        name: 'Inbox check',
        severity: 'critical',
        conditions: [{ metric: 'quota.users.percent', operator: 'gte', threshold: 99, forMinutes: 1 }],
      }),
    );
    await samples(b.orgId, 'quota.users.percent', 2400, [100, 100, 100, 100, 100]);
    await alerts.evaluator.evaluateOrg(b.orgId, at(2460));
    const inbox = async (s: Session) =>
      (await api(s, 'GET', '/me/notifications')).json().items as { eventType: string; subject: string }[];
    await expect
      .poll(async () => (await inbox(b)).find((i) => i.eventType === 'alert.fired')?.subject ?? '', {
        timeout: 15_000,
      })
      .toContain('Inbox check');
    expect((await alertOf(b, rule.id))?.status).toBe('firing');

    const cpu = await createRule(root, {
      name: 'Platform inbox check',
      type: 'system',
      severity: 'error',
      scope: 'platform',
      conditions: [{ metric: 'system.memory.percent', operator: 'gt', threshold: 50, forMinutes: 1 }],
      evaluateEverySeconds: 15,
    });
    await samples(null, 'system.memory.percent', 2400, [70, 70, 70, 70, 70]);
    await alerts.evaluator.evaluateOrg(PLATFORM_ORG_ID, at(2460));
    expect((await alertOf(root, cpu.id, 'platform'))?.status).toBe('firing');
    await expect
      .poll(
        async () => (await inbox(root)).find((i) => i.subject.includes('Platform inbox check'))?.eventType,
        {
          timeout: 15_000,
        },
      )
      .toBe('alert.fired');
    // Nobody in organization B hears of the platform's alert.
    expect((await inbox(b)).filter((i) => i.subject.includes('Platform inbox check'))).toEqual([]);
  });
});
