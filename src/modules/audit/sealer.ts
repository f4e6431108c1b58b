// Links committed audit events into their organizations' hash chains, a few times a second, in
// every BUL process (migration 0006 says why this happens after the commit rather than in it;
// 0007 keeps one organization's failure from holding back the others).
// Processes skip the organizations another one is sealing; readers of a chain seal it themselves
// first (AuditService.seal), so nobody depends on this timer to see a complete chain.
import type pg from 'pg';
import * as store from './store.ts';

export class AuditSealer {
  private readonly pool: pg.Pool;
  private readonly intervalMs: number;
  private readonly onError: (err: unknown) => void;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(opts: { pool: pg.Pool; intervalMs: number; onError: (err: unknown) => void }) {
    this.pool = opts.pool;
    this.intervalMs = opts.intervalMs;
    this.onError = opts.onError;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sealOnce().finally(() => {
        this.running = null;
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  /**
   * One pass over every organization with pending events; a full batch goes round again at once.
   * An organization whose events fail to seal is skipped by the pass (migration 0007), which
   * names it in a WARNING: that reaches onError too.
   */
  async sealOnce(): Promise<void> {
    const warnings: string[] = [];
    const onNotice = (notice: { severity?: string; message?: string }) => {
      if (notice.severity === 'WARNING' && notice.message) warnings.push(notice.message);
    };
    let client: pg.PoolClient | null = null;
    try {
      client = await this.pool.connect();
      client.on('notice', onNotice);
      let sealed = await store.sealEvents(client, null);
      while (sealed >= store.SEAL_BATCH && this.timer) sealed = await store.sealEvents(client, null);
    } catch (err) {
      this.onError(err);
    } finally {
      client?.off('notice', onNotice);
      client?.release();
    }
    for (const message of warnings) this.onError(new Error(message));
  }

  /** Stops the timer and waits for a pass in progress; a last pass seals what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.sealOnce();
  }
}
