// The loop every process runs and exactly one runs per tick (src/platform/jobs/tick-loop.ts):
// alert evaluation and health checks stand on it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { claimTick, TickLoop, tickOf } from '../src/platform/jobs/tick-loop.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t?.close());

it('two processes reaching the same tick: one runs it, the other skips; the next tick runs again', async () => {
  const runs: [string, string][] = [];
  const loop = (who: string) =>
    new TickLoop({
      pool: t.pool,
      name: 'test:once',
      everyMs: 15_000,
      run: async (tick) => {
        runs.push([who, tick.toISOString()]);
      },
      onError: (err) => {
        throw err;
      },
    });
  const a = loop('a');
  const b = loop('b');
  const at = Date.UTC(2026, 11, 7, 10, 0, 7); // 10:00:07 → the tick of 10:00:00
  const results = await Promise.all([a.runOnce(at), b.runOnce(at + 3000), a.runOnce(at + 1), b.runOnce(at)]);
  expect(results.filter(Boolean)).toHaveLength(1);
  expect(runs.map((r) => r[1])).toEqual(['2026-12-07T10:00:00.000Z']);
  // 10:00:15 is the next tick.
  expect(await b.runOnce(at + 8000)).toBe(true);
  expect(runs.map((r) => r[1])).toEqual(['2026-12-07T10:00:00.000Z', '2026-12-07T10:00:15.000Z']);
});

it('ticks are per name, aligned to the epoch, and at least a second long', async () => {
  const tick = tickOf(Date.UTC(2026, 0, 1, 0, 0, 29, 999), 30_000);
  expect(tick.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  expect(await claimTick(t.pool, 'test:a', tick)).toBe(true);
  expect(await claimTick(t.pool, 'test:b', tick)).toBe(true);
  expect(await claimTick(t.pool, 'test:a', tick)).toBe(false);
  expect(
    () => new TickLoop({ pool: t.pool, name: 'x', everyMs: 10, run: async () => {}, onError: () => {} }),
  ).toThrow(/at least 1 s/);
});

it('a failing tick is reported and the loop goes on', async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const loop = new TickLoop({
    pool: t.pool,
    name: 'test:fails',
    everyMs: 1000,
    run: async () => {
      calls++;
      throw new Error('reading failed');
    },
    onError: (err) => errors.push(err),
  });
  // runOnce surfaces the error to its caller; the timer path hands it to onError and reschedules.
  await expect(loop.runOnce(Date.UTC(2026, 0, 1))).rejects.toThrow('reading failed');
  loop.start();
  await expect.poll(() => errors.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
  await loop.stop();
  expect(calls).toBeGreaterThanOrEqual(2);
});

it('tells its log of every tick it ran, and of none it skipped', async () => {
  const lines: [object, string][] = [];
  const log = { debug: (obj: object, msg: string) => lines.push([obj, msg]) };
  const loop = (name: string) =>
    new TickLoop({ pool: t.pool, name, everyMs: 60_000, run: async () => {}, onError: () => {}, log });
  const at = Date.UTC(2026, 11, 7, 11, 0, 30);
  expect(await loop('test:logged').runOnce(at)).toBe(true);
  expect(await loop('test:logged').runOnce(at + 1000)).toBe(false); // claimed already
  expect(lines).toEqual([
    [
      { tickLoop: 'test:logged', tick: '2026-12-07T11:00:00.000Z', ms: expect.any(Number), ok: true },
      'tick ran',
    ],
  ]);
});

it('tells its log of a tick whose run threw too (ok: false): it was run', async () => {
  const lines: [object, string][] = [];
  const log = { debug: (obj: object, msg: string) => lines.push([obj, msg]) };
  const loop = new TickLoop({
    pool: t.pool,
    name: 'test:logged-failing',
    everyMs: 60_000,
    run: async () => {
      throw new Error('boom');
    },
    onError: () => {},
    log,
  });
  const at = Date.UTC(2026, 11, 7, 11, 0, 30);
  await expect(loop.runOnce(at)).rejects.toThrow('boom');
  expect(lines).toEqual([
    [
      {
        tickLoop: 'test:logged-failing',
        tick: '2026-12-07T11:00:00.000Z',
        ms: expect.any(Number),
        ok: false,
      },
      'tick ran',
    ],
  ]);
});
