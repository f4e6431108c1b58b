// The worker's part of `bul start`, inside a test, on a test app's database: every module's
// services from the module list, and the event dispatcher with the modules' handlers and the
// realtime publisher (startEventHandling). Events reach webhooks and /ws only through it.
import pino from 'pino';
import { MasterKey } from '../../src/platform/crypto/master-key.ts';
import { startEventHandling } from '../../src/runtime.ts';
import { type BulComposition, composeBul } from '../../src/services.ts';
import { TEST_MASTER_KEY } from './constants.ts';
import type { TestApp } from './test-app.ts';

const quiet = pino({ level: 'silent' });

/** What a worker process builds: every module's services, on the test app's database. */
export function composeWorker(t: TestApp): Promise<BulComposition> {
  return composeBul({
    config: t.config,
    pool: t.pool,
    masterKey: new MasterKey(Buffer.from(TEST_MASTER_KEY, 'base64')),
    redis: null,
    log: quiet,
  });
}

/** Starts dispatching the test app's committed events as a worker does; returns its stop. */
export function startEvents(t: TestApp, composition: BulComposition): Promise<() => Promise<void>> {
  return startEventHandling({ composition, pool: t.pool, config: t.config, log: quiet, redis: null });
}

/**
 * Starts a worker's background loop by name (e.g. 'notification-delivery', the runner that sends
 * queued notifications) from the composition's loops; returns its stop.
 */
export async function startLoop(composition: BulComposition, name: string): Promise<() => Promise<void>> {
  const loop = composition.loops.find((l) => l.name === name);
  if (!loop) throw new Error(`no background loop ${name}`);
  await loop.start();
  return async () => {
    await loop.stop();
  };
}
