// The metrics history (src/modules/monitoring): samples recorded per source and organization,
// answered per step with sources combined, derived rates from sums, absent steps, isolation,
// roll-ups. Times are fixed dates far from now, so the test app's own sampler never meets them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, PLATFORM_ORG_ID } from '../src/platform/db/ids.ts';
import { inTransaction } from '../src/platform/db/transaction.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t?.close());

const T0 = Date.UTC(2031, 4, 6, 10, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const values = (points: { at: Date; value: number }[]) =>
  points.map((p) => [(p.at.getTime() - T0) / 1000, Math.round(p.value * 1000) / 1000]);

describe('record and points', () => {
  it('combines the sources of one sample time by the metric: max, sum, average', async () => {
    const m = t.services.monitoring;
    await m.recordFrom([
      { orgId: null, metric: 'system.cpu.percent', value: 20, at: at(0), source: 'a:1' },
      { orgId: null, metric: 'system.cpu.percent', value: 70, at: at(0), source: 'b:2' },
      { orgId: null, metric: 'system.cpu.percent', value: 40, at: at(15), source: 'a:1' },
      { orgId: null, metric: 'db.pool.in_use', value: 3, at: at(0), source: 'a:1' },
      { orgId: null, metric: 'db.pool.in_use', value: 4, at: at(0), source: 'b:2' },
      { orgId: null, metric: 'system.disk.free_bytes', value: 100, at: at(0), source: 'a:1' },
      { orgId: null, metric: 'system.disk.free_bytes', value: 200, at: at(0), source: 'b:2' },
    ]);
    const q = { orgId: null, from: at(0), to: at(30), stepSeconds: 15 } as const;
    expect(values(await m.points({ ...q, metric: 'system.cpu.percent' }))).toEqual([
      [0, 70],
      [15, 40],
    ]);
    expect(values(await m.points({ ...q, metric: 'db.pool.in_use' }))).toEqual([[0, 7]]);
    expect(values(await m.points({ ...q, metric: 'system.disk.free_bytes' }))).toEqual([[0, 150]]);
    // A 30 s step: gauges average over their sample times, counts add up.
    expect(values(await m.points({ ...q, metric: 'system.cpu.percent', stepSeconds: 30 }))).toEqual([
      [0, 55],
    ]);
  });

  it('derives the error rate and mean latency from the sums of every source and sample time', async () => {
    const m = t.services.monitoring;
    const org = newId();
    const g = { group: 'tasks' };
    await m.recordFrom([
      // 0 s: process a 100 requests, 10 errors; process b 300 requests, 2 errors.
      { orgId: org, metric: 'http.requests', value: 100, at: at(0), source: 'a:1', labels: g },
      { orgId: org, metric: 'http.errors', value: 10, at: at(0), source: 'a:1', labels: g },
      { orgId: org, metric: 'http.requests', value: 300, at: at(0), source: 'b:2', labels: g },
      { orgId: org, metric: 'http.errors', value: 2, at: at(0), source: 'b:2', labels: g },
      { orgId: org, metric: 'http.response_time.total_ms', value: 4000, at: at(0), source: 'a:1', labels: g },
      // 15 s: 100 requests, none failed (no error row at all).
      { orgId: org, metric: 'http.requests', value: 100, at: at(15), source: 'a:1', labels: g },
      {
        orgId: org,
        metric: 'http.response_time.total_ms',
        value: 1000,
        at: at(15),
        source: 'a:1',
        labels: g,
      },
    ]);
    const q = { orgId: org, from: at(0), to: at(60), labels: g } as const;
    // Per step: 12/400 = 3 %, then 0 %; over 30 s: 12/500 = 2.4 % (not the mean of 3 and 0).
    expect(values(await m.points({ ...q, metric: 'http.error_rate.percent', stepSeconds: 15 }))).toEqual([
      [0, 3],
      [15, 0],
    ]);
    expect(values(await m.points({ ...q, metric: 'http.error_rate.percent', stepSeconds: 30 }))).toEqual([
      [0, 2.4],
    ]);
    expect(values(await m.points({ ...q, metric: 'http.response_time.avg_ms', stepSeconds: 30 }))).toEqual([
      [0, 10],
    ]);
    // The unlabelled series is another series: nothing was recorded there.
    expect(await m.points({ ...q, labels: {}, metric: 'http.requests', stepSeconds: 15 })).toEqual([]);
  });

  it('leaves out the steps without samples (absent, not zero)', async () => {
    const m = t.services.monitoring;
    const org = newId();
    await m.record([
      { orgId: org, metric: 'security.failed_logins', value: 1, at: at(0) },
      { orgId: org, metric: 'security.failed_logins', value: 1, at: at(4) }, // same interval: adds up
      { orgId: org, metric: 'security.failed_logins', value: 5, at: at(61) },
    ]);
    const points = await m.points({
      orgId: org,
      metric: 'security.failed_logins',
      from: at(0),
      to: at(120),
      stepSeconds: 15,
    });
    expect(values(points)).toEqual([
      [0, 2],
      [60, 5],
    ]);
  });

  it('keeps each organization to its rows and the platform rows to the platform context', async () => {
    const m = t.services.monitoring;
    const [a, b] = [newId(), newId()];
    await m.record([
      { orgId: a, metric: 'security.lockouts', value: 1, at: at(0) },
      { orgId: b, metric: 'security.lockouts', value: 7, at: at(0) },
      { orgId: null, metric: 'health.score', value: 90, at: at(0) },
    ]);
    const q = { metric: 'security.lockouts', from: at(0), to: at(15), stepSeconds: 15 } as const;
    expect(values(await m.points({ ...q, orgId: a }))).toEqual([[0, 1]]);
    expect(values(await m.points({ ...q, orgId: b }))).toEqual([[0, 7]]);
    // Row-level security, whatever the WHERE says: A's context sees A's rows only.
    const seen = await inTransaction(t.pool, { orgId: a, userId: null }, async (tx) => {
      const { rows } = await tx.query<{ org_id: string }>(
        'SELECT DISTINCT org_id FROM monitoring_samples WHERE at = $1',
        [at(0)],
      );
      return rows.map((r) => r.org_id);
    });
    expect(seen).toEqual([a]);
    const platform = await inTransaction(t.pool, { orgId: PLATFORM_ORG_ID, userId: null }, async (tx) => {
      const { rows } = await tx.query<{ metric: string }>(
        'SELECT DISTINCT metric FROM monitoring_samples WHERE at = $1',
        [at(0)],
      );
      return rows.map((r) => r.metric);
    });
    expect(platform).toContain('health.score');
    expect(platform).not.toContain('security.lockouts');
    // The application role cannot write the tables except through bul_monitoring_write.
    await expect(
      inTransaction(t.pool, { orgId: a, userId: null }, (tx) =>
        tx.query(`INSERT INTO monitoring_samples (org_id, metric, at, value) VALUES ($1, 'x', now(), 1)`, [
          a,
        ]),
      ),
    ).rejects.toThrow(/permission denied/);
  });

  it('refuses unknown and derived metrics, a metric of the other scope, bad labels and non-finite values', async () => {
    const m = t.services.monitoring;
    const org = newId();
    const bad = [
      { orgId: org, metric: 'no.such.metric', value: 1 },
      { orgId: org, metric: 'http.error_rate.percent', value: 1 },
      { orgId: org, metric: 'system.cpu.percent', value: 1 },
      { orgId: null, metric: 'security.lockouts', value: 1 },
      { orgId: org, metric: 'security.threats', value: 1, labels: { colour: 'red' } },
      { orgId: org, metric: 'security.threats', value: 1, labels: { severity: 'a b' } },
      { orgId: org, metric: 'security.lockouts', value: Number.NaN },
    ];
    for (const sample of bad) {
      // biome-ignore lint/suspicious/noExplicitAny: bad input on purpose
      await expect(m.record([sample as any]), JSON.stringify(sample)).rejects.toThrow(/monitoring:/);
    }
  });

  it('answers latest and summary from the last sample intervals', async () => {
    const org = newId();
    const { MonitoringService } = await import('../src/modules/monitoring/service.ts');
    const { Db } = await import('../src/platform/db/transaction.ts');
    const m = new MonitoringService({ db: new Db(t.pool), sampleIntervalSeconds: 15, now: () => at(47) });
    await m.record([
      { orgId: org, metric: 'quota.users.percent', value: 40, at: at(0) },
      { orgId: org, metric: 'quota.users.percent', value: 60, at: at(30) },
    ]);
    expect(await m.latest(org, 'quota.users.percent')).toEqual({ at: at(30), value: 60 });
    expect(await m.latest(org, 'quota.storage.percent')).toBeNull();
    const summary = await m.summary(org);
    expect(summary['quota.users.percent']).toEqual({ at: at(30), value: 60 });
    expect(summary['system.cpu.percent']).toBeUndefined(); // a platform metric
  });
});

describe('roll-ups and retention', () => {
  it('answers the same series from the 1-minute and 1-hour roll-ups as from the raw samples, and keeps them past the raw retention', async () => {
    const m = t.services.monitoring;
    const { rollUp, pruneHistory } = await import('../src/modules/monitoring/jobs.ts');
    const { Db } = await import('../src/platform/db/transaction.ts');
    const org = newId();
    const base = T0 + 86_400_000; // a day later than the other tests' samples
    const when = (s: number) => new Date(base + s * 1000);
    const samples = [];
    // Two hours of samples every 15 s from two processes: requests 1 and 2, p95 10 and 30 ms.
    for (let s = 0; s < 7200; s += 15) {
      for (const [source, n, p95] of [
        ['a:1', 1, 10],
        ['b:2', 2, 30],
      ] as const) {
        samples.push({ orgId: org, metric: 'http.requests' as const, value: n, at: when(s), source });
        samples.push({
          orgId: org,
          metric: 'http.response_time.p95_ms' as const,
          value: p95,
          at: when(s),
          source,
        });
      }
    }
    await m.recordFrom(samples);
    const q = (metric: 'http.requests' | 'http.response_time.p95_ms', stepSeconds: number) =>
      m.points({ orgId: org, metric, from: when(0), to: when(7200), stepSeconds });
    const before = {
      minute: await q('http.requests', 60),
      hour: await q('http.requests', 3600),
      p95: await q('http.response_time.p95_ms', 600),
    };
    expect(values(before.hour).map((v) => v[1])).toEqual([720, 720]); // 240 samples × 3 per hour
    expect(before.p95.every((p) => p.value === 30)).toBe(true); // the slowest process
    // Everything up to the end of the two hours is rolled up, then raw samples past retention go.
    const r = await rollUp(new Db(t.pool), when(7200), 0);
    expect(r.minutes).toBeGreaterThanOrEqual(240);
    expect(r.hours).toBeGreaterThanOrEqual(4);
    const pruned = await pruneHistory(new Db(t.pool), when(7200), {
      sampleSeconds: 15,
      rawRetention: 0,
      minuteRetention: 3600 * 24,
      hourRetention: 3600 * 24 * 400,
    });
    expect(pruned.raw).toBeGreaterThan(0);
    const { rows } = await t.owner('SELECT count(*)::int AS n FROM monitoring_samples WHERE org_id = $1', [
      org,
    ]);
    expect(rows[0]!.n).toBe(0);
    expect(await q('http.requests', 60)).toEqual(before.minute);
    expect(await q('http.requests', 3600)).toEqual(before.hour);
    expect(await q('http.response_time.p95_ms', 600)).toEqual(before.p95);
    // A 15 s step needs raw samples, gone now: absent, not zero.
    expect(await q('http.requests', 15)).toEqual([]);
  });
});

describe('docs/monitoring.md', () => {
  it('carries the table of every metric of the catalogue (npm run docs)', async () => {
    const { readFileSync } = await import('node:fs');
    const { monitoringDocWithTable, ROOT } = await import('../scripts/generate-docs.ts');
    const { METRIC_NAMES } = await import('../src/modules/monitoring/service.ts');
    const doc = readFileSync(`${ROOT}/docs/monitoring.md`, 'utf8');
    expect(doc).toBe(monitoringDocWithTable(doc));
    for (const name of METRIC_NAMES) expect(doc).toContain(`| \`${name}\` |`);
  });
});

describe('security counters from events', () => {
  it('counts security.login_failed and security.locked_out in the event transaction, once per event', async () => {
    const { monitoringModule } = await import('../src/modules/monitoring/definition.ts');
    const m = t.services.monitoring;
    const org = newId();
    // biome-ignore lint/suspicious/noExplicitAny: only the services the handlers use
    const handlers = monitoringModule.events!.handles!({ services: { monitoring: m }, deps: {} as any });
    const event = (type: string, seconds: number) => ({
      id: newId(),
      type,
      orgId: org,
      occurredAt: at(seconds).toISOString(),
      actor: { type: 'system' as const, id: null },
      payload: {},
      seq: 1,
    });
    const run = (type: string, seconds: number, rollback = false) =>
      inTransaction(t.pool, { orgId: org, userId: null }, async (tx) => {
        // biome-ignore lint/suspicious/noExplicitAny: a test event
        await handlers[type]!(event(type, seconds) as any, { tx, orgId: org, attempt: 1 } as any);
        if (rollback) throw new Error('handler run failed');
      }).catch(() => {});
    await run('security.login_failed', 1);
    await run('security.login_failed', 2);
    await run('security.login_failed', 3, true); // rolled back with its run: not counted
    await run('security.locked_out', 3);
    const q = { orgId: org, from: at(0), to: at(15), stepSeconds: 15 } as const;
    expect(values(await m.points({ ...q, metric: 'security.failed_logins' }))).toEqual([[0, 2]]);
    expect(values(await m.points({ ...q, metric: 'security.lockouts' }))).toEqual([[0, 1]]);
  });
});
