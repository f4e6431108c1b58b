// The health of notification channels (docs/health.md): each enabled channel of each active
// organization probed through its adapter's `probe` (SMTP: connect, TLS and login, no message;
// HTTP providers: a HEAD of the configured host), a few at a time, each within a timeout. The
// health loop of the system module calls it every round; nothing is sent and nothing is written.
import type pg from 'pg';
import type { SecretBox } from '../../platform/crypto/secret-box.ts';
import type { ProbeResult, ProviderKind } from './channels/provider.ts';
import { readyProvider } from './delivery.ts';
import type { ProviderRegistry } from './providers.ts';
import type { ChannelRow } from './store.ts';

export interface ChannelProbe extends ProbeResult {
  orgId: string;
  channelId: string;
  kind: ProviderKind;
  name: string;
}

export interface ChannelHealthDeps {
  pool: pg.Pool;
  box: SecretBox;
  providers: ProviderRegistry;
  allowPrivate: boolean;
}

/** Resolves to `fallback` when `work` has not settled within `ms` (the work is left to finish alone). */
function within<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export class ChannelHealth {
  private readonly d: ChannelHealthDeps;

  constructor(deps: ChannelHealthDeps) {
    this.d = deps;
  }

  /** Probes every enabled channel, `concurrency` at a time; never throws for one channel. */
  async probeAll(o: { timeoutMs: number; concurrency: number }): Promise<ChannelProbe[]> {
    // Across organizations in one read (SECURITY DEFINER, migration 0018): sealed rows only.
    const { rows } = await this.d.pool.query<ChannelRow>('SELECT * FROM bul_health_channels()');
    const results: ChannelProbe[] = new Array(rows.length);
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const i = next++;
        results[i] = await this.probeOne(rows[i]!, o.timeoutMs);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, rows.length) }, worker));
    return results;
  }

  private async probeOne(row: ChannelRow, timeoutMs: number): Promise<ChannelProbe> {
    const head = { orgId: row.org_id, channelId: row.id, kind: row.kind, name: row.name };
    const started = performance.now();
    const down = (detail: string): ChannelProbe => ({
      ...head,
      status: 'down',
      latencyMs: Math.round(performance.now() - started),
      detail,
    });
    let ready: ReturnType<typeof readyProvider>;
    try {
      ready = readyProvider(this.d, row);
    } catch {
      return down('its credentials cannot be opened (sealed under another master key?)');
    }
    const probe = ready.provider
      .probe({ config: ready.config, secrets: ready.secrets, timeoutMs, allowPrivate: this.d.allowPrivate })
      .then(
        (r): ChannelProbe => ({ ...head, ...r }),
        (err: unknown) => down(`the probe failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    // The adapter's own timeout should end it; this bounds an adapter that hangs anyway.
    return within(probe, timeoutMs + 200, () => down(`no answer within ${timeoutMs} ms`));
  }
}
