// The one place a process starts its background loops (those of its modules and the platform's),
// for its role, and stops them on shutdown in reverse order.
import type { Logger } from 'pino';
import type { BackgroundLoop, ProcessRole } from './module.ts';

export interface RunningLoops {
  /** The names of the loops started, in order. */
  names: string[];
  stop(): Promise<void>;
}

/** The loops a process of these roles runs (each once, even when both roles want it). */
export function loopsFor(loops: readonly BackgroundLoop[], roles: readonly ProcessRole[]): BackgroundLoop[] {
  return loops.filter((loop) => loop.roles.some((r) => roles.includes(r)));
}

export async function startBackground(
  loops: readonly BackgroundLoop[],
  roles: readonly ProcessRole[],
  log?: Logger,
): Promise<RunningLoops> {
  const started: BackgroundLoop[] = [];
  const stop = async () => {
    for (const loop of started.reverse()) {
      try {
        await loop.stop();
      } catch (err) {
        log?.error({ err, loop: loop.name }, 'background loop did not stop cleanly');
      }
    }
    started.length = 0;
  };
  try {
    for (const loop of loopsFor(loops, roles)) {
      await loop.start(roles);
      started.push(loop);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { names: started.map((l) => l.name), stop };
}

/** The roles of `bul start --role`. */
export function rolesOf(role: 'all' | 'api' | 'worker'): ProcessRole[] {
  return role === 'all' ? ['api', 'worker'] : [role];
}
