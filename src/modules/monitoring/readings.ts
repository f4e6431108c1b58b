// A sampler's readings and the one rule they share: a reading that fails is skipped and logged,
// never stops the others or the loop. A reading failing the same way every time (no block device
// under the data directory, no /proc) is logged once as a warning, then at debug level until it
// works again or fails differently.
import type { Logger } from 'pino';
import type { HostReading } from '../../platform/observability/host-readings.ts';
import { isMetric, type SampleInput } from './service.ts';

export interface Reading {
  name: string;
  read(): Promise<SampleInput[]> | SampleInput[];
}

/** The host's readings as platform samples (their metric names are the catalogue's). */
export function platformReading(r: HostReading): Reading {
  return {
    name: r.name,
    async read() {
      return (await r.read()).map((v) => {
        if (!isMetric(v.metric)) throw new Error(`reading ${r.name}: unknown metric ${v.metric}`);
        return { orgId: null, metric: v.metric, value: v.value, ...(v.labels ? { labels: v.labels } : {}) };
      });
    },
  };
}

export class ReadingRunner {
  /** Reading name → the message of its current failure streak. */
  private readonly failing = new Map<string, string>();
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  /** Every reading's samples, each stamped `at`; the names of those that failed. */
  async collect(
    readings: readonly Reading[],
    at: Date,
  ): Promise<{ samples: SampleInput[]; failed: string[] }> {
    const samples: SampleInput[] = [];
    const failed: string[] = [];
    await Promise.all(
      readings.map(async (r) => {
        try {
          for (const s of await r.read()) samples.push({ ...s, at });
          if (this.failing.delete(r.name)) this.log.info({ reading: r.name }, 'metric reading works again');
        } catch (err) {
          failed.push(r.name);
          const message = err instanceof Error ? err.message : String(err);
          const repeated = this.failing.get(r.name) === message;
          this.failing.set(r.name, message);
          if (repeated) this.log.debug({ reading: r.name, err }, 'metric reading failed; skipped');
          else this.log.warn({ reading: r.name, err }, 'metric reading failed; skipped');
        }
      }),
    );
    return { samples, failed };
  }
}
