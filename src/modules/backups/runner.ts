// What workers (and `bul backup`) run: a backup from start to end (engine → copy → retention →
// verify → backup.age_seconds → events), restores with their safety backup, verifications and
// drills, and the schedule tick that queues each due occurrence exactly once.
import type pg from 'pg';
import { BackupError } from '../../platform/backup/errors.ts';
import type { BackupManifest, BackupType } from '../../platform/backup/manifest.ts';
import {
  type RestoreReport,
  type RestoreScope,
  resolveChain,
  restoreBackup,
} from '../../platform/backup/restore.ts';
import { pruneTombstones } from '../../platform/backup/tombstones.ts';
import { loadManifest, verifyBackupFiles } from '../../platform/backup/verify.ts';
import { type BackupProgress, writeBackup } from '../../platform/backup/write-backup.ts';
import type { Cache } from '../../platform/cache/cache.ts';
import { cacheTag, EVERY_SCOPE, PLATFORM } from '../../platform/cache/keys.ts';
import { newId, PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import type { EventInput } from '../../platform/events/catalogue.ts';
import { emitEvents } from '../../platform/events/outbox.ts';
import { type AuditActor, type AuditService, SYSTEM_ACTOR } from '../audit/service.ts';
import type { MonitoringService } from '../monitoring/service.ts';
import type { BackupEnvironment } from './engine.ts';
import { expiredBackups } from './retention.ts';
import { occurrencesBetween } from './schedule.ts';
import { scratchRestore } from './scratch.ts';
import * as store from './store.ts';

export const RUN_JOB = 'backups:run';
export const RESTORE_JOB = 'backups:restore';
export const VERIFY_JOB = 'backups:verify';
export const DRILL_JOB = 'backups:drill';
/** How often a running backup or restore marks its row alive, and after how long without it is stale. */
export const HEARTBEAT_MS = 20_000;
export const STALE_AFTER_MS = 180_000;

export interface RunDeps {
  db: Db;
  audit: AuditService;
  monitoring: MonitoringService;
  /** The process's cache: a restore clears what it may have made wrong, in every process. */
  cache: Cache;
  env: () => BackupEnvironment;
  clock: () => Date;
  onError: (err: unknown) => void;
}

/** An error as the run records it: the engine's code, or `internal`. */
export function errorOf(err: unknown): { code: string; message: string; part?: string; offset?: number } {
  if (err instanceof BackupError)
    return {
      code: err.code,
      message: err.message,
      ...(err.part ? { part: err.part } : {}),
      ...(err.offset !== undefined ? { offset: err.offset } : {}),
    };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

const PROGRESS_EVERY_MS = 1000;

export class BackupRunner {
  private readonly d: RunDeps;
  constructor(d: RunDeps) {
    this.d = d;
  }

  get pool(): pg.Pool {
    return this.d.db.pool;
  }

  private async platform<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    return this.d.db.transaction({ orgId: PLATFORM_ORG_ID, userId: null }, fn);
  }

  /** Emits platform events, in one transaction with `also` (the state change they announce). */
  private async emit(
    events: EventInput[],
    also?: (tx: Sql) => Promise<void>,
    actor: AuditActor = SYSTEM_ACTOR,
  ): Promise<void> {
    await this.platform(async (tx) => {
      if (also) await also(tx);
      await emitEvents(
        tx,
        PLATFORM_ORG_ID,
        { type: actor.type === 'anonymous' ? 'system' : actor.type, id: actor.id },
        events,
      );
    });
  }

  /** A manifest by id, opened (key check, MAC, installation) from the primary target. */
  async manifest(id: string): Promise<BackupManifest> {
    const env = this.d.env();
    const { manifest } = await loadManifest(env.primary, id, env.keySource, {
      installationId: env.installationId,
    });
    return manifest;
  }

  async chain(id: string): Promise<BackupManifest[]> {
    return resolveChain((x) => this.manifest(x), id);
  }

  /**
   * Runs the backup of a run row (queued by the API, the schedule or the CLI). `attempt` and
   * `final` come from the job: a failure before the last attempt puts the run back in the queue
   * (the job retries); the last one fails it and emits backup.failed. Returns the manifest.
   */
  runBackup(
    runId: string,
    o: { attempt: number; final: boolean; onProgress?: (p: BackupProgress) => void },
  ): Promise<BackupManifest | null> {
    return this.beating('backup_runs', runId, () => this.backupNow(runId, o));
  }

  private async backupNow(
    runId: string,
    o: { attempt: number; final: boolean; onProgress?: (p: BackupProgress) => void },
  ): Promise<BackupManifest | null> {
    const run = await store.getRun(this.pool, runId);
    if (!run) return null;
    if (run.status === 'succeeded') {
      // The job ran again after its process died between the backup and its verification.
      if (run.verify_status === 'pending') await this.verify(runId, null).catch(this.d.onError);
      return null;
    }
    await store.startRun(this.pool, runId, o.attempt);
    const env = this.d.env();
    let lastWrite = 0;
    let pending: Promise<void> = Promise.resolve();
    try {
      const settings = await store.settings(this.pool);
      const parentRow =
        run.type === 'incremental'
          ? await store.lastSucceeded(this.pool, ['full', 'incremental', 'differential'])
          : run.type === 'differential'
            ? await store.lastSucceeded(this.pool, ['full'])
            : null;
      if ((run.type === 'incremental' || run.type === 'differential') && !parentRow)
        throw new BackupError(
          'chain_broken',
          `an ${run.type} backup needs a successful full backup to build on; take a full backup first`,
        );
      const parent = parentRow ? await this.manifest(parentRow.id) : null;
      const manifest = await writeBackup({
        ownerUrl: env.ownerUrl,
        target: env.primary,
        keySource: env.keySource,
        installationId: env.installationId,
        bulVersion: env.bulVersion,
        id: runId,
        type: run.type as BackupType,
        parent,
        ...(run.type === 'critical' ? { criticalTables: settings.critical_tables } : {}),
        jobs: env.jobs,
        compressionLevel: env.compressionLevel,
        filesRoot: run.type === 'critical' ? null : env.filesRoot,
        onProgress: (p) => {
          o.onProgress?.(p);
          const now = Date.now();
          if (now - lastWrite < PROGRESS_EVERY_MS && p.phase !== 'done') return;
          lastWrite = now;
          pending = pending.then(() => store.setProgress(this.pool, runId, p).catch(this.d.onError));
        },
      });
      await pending;
      const verifyAfter = settings.verify_after_backup && run.trigger !== 'safety';
      const finished = (tx: Sql) =>
        store.finishRun(tx, runId, {
          manifest,
          parentId: manifest.parentId,
          baseFullId: manifest.baseFullId,
          target: env.primary.description,
          durationMs: manifest.durationMs,
          rows: manifest.totals.rows,
          plainBytes: manifest.totals.plainBytes,
          storedBytes: manifest.totals.storedBytes,
          verifyPending: verifyAfter,
          progress: {
            phase: 'done',
            tablesDone: manifest.tables.length,
            tablesTotal: manifest.tables.length,
            rows: manifest.totals.rows,
            plainBytes: manifest.totals.plainBytes,
            storedBytes: manifest.totals.storedBytes,
            etaSeconds: 0,
          },
        });
      // The run succeeds and its event is emitted together (a reader who sees one sees the other).
      await this.emit(
        [
          {
            type: 'backup.completed',
            payload: {
              id: runId,
              type: manifest.type,
              trigger: run.trigger,
              durationMs: manifest.durationMs,
              rows: manifest.totals.rows,
              storedBytes: manifest.totals.storedBytes,
            },
          },
        ],
        finished,
      );
      await this.recordAge().catch(this.d.onError);
      if (env.copy) await this.copy(manifest).catch(this.d.onError);
      // Not after a safety backup: retention could expire the very chain being restored.
      if (run.trigger !== 'safety') await this.applyRetention().catch(this.d.onError);
      if (verifyAfter) await this.verify(runId, null).catch(this.d.onError);
      return manifest;
    } catch (err) {
      await pending;
      const e = errorOf(err);
      const failed = (tx: Sql) =>
        store.failRun(tx, runId, { code: e.code, message: e.message, final: o.final });
      if (!o.final) await failed(this.pool);
      else {
        await this.d.monitoring
          .record([{ orgId: null, metric: 'backup.failures', value: 1 }])
          .catch(this.d.onError);
        // The run fails and backup.failed is emitted together.
        await this.emit(
          [
            {
              type: 'backup.failed',
              payload: {
                id: newId(),
                backupId: runId,
                type: run.type,
                errorCode: e.code,
                message: e.message,
                attempt: o.attempt,
              },
            },
          ],
          failed,
        );
      }
      throw err;
    }
  }

  /** Copies a backup to the second target: parts first, the manifest last (its presence means complete). */
  private async copy(m: BackupManifest): Promise<void> {
    const env = this.d.env();
    const copy = env.copy;
    if (!copy) return;
    try {
      for (const p of m.parts) {
        const key = `${m.id}/parts/${p.file}`;
        await copy.put(key, await env.primary.get(key), { contentLength: p.storedBytes });
      }
      const key = `${m.id}/manifest.json`;
      await copy.put(key, await env.primary.get(key));
      await store.setCopyStatus(this.pool, m.id, 'copied');
    } catch (err) {
      await store.setCopyStatus(this.pool, m.id, `failed: ${errorOf(err).message}`.slice(0, 500));
      throw err;
    }
  }

  /** Deletes what retention no longer keeps, from both targets, then the rows. */
  async applyRetention(): Promise<string[]> {
    const env = this.d.env();
    const [s, runs] = await Promise.all([store.settings(this.pool), store.succeededRuns(this.pool)]);
    const expired = expiredBackups(
      // Safety backups (taken before a restore) age out like any other.
      runs.map((r) => ({
        id: r.id,
        type: r.type,
        parentId: r.parent_id,
        baseFullId: r.base_full_id,
        at: r.finished_at ?? r.created_at,
        pinned: r.pinned,
      })),
      { keepLast: s.keep_last, daily: s.keep_daily, weekly: s.keep_weekly, monthly: s.keep_monthly },
    );
    for (const id of expired) {
      await env.primary.removeBackup(id);
      if (env.copy) await env.copy.removeBackup(id);
      await store.deleteRuns(this.pool, [id]);
    }
    await this.pruneTombstones();
    return expired;
  }

  /**
   * Deletes the tombstones no future incremental or differential can need. Any link from now on
   * has a kept backup (full, incremental or differential) or one now running as its parent, and
   * reads the tombstones from its parent's snapshot xmin: so below the smallest xmin of the kept
   * ones, and nothing while a backup runs (its snapshot is not recorded yet).
   */
  private async pruneTombstones(): Promise<void> {
    const { rows } = await this.pool.query<{ running: boolean; xmin: string | null }>(
      `SELECT EXISTS (SELECT 1 FROM backup_runs WHERE status = 'running') AS running,
              (SELECT min((manifest->'snapshot'->>'xmin')::xid8::text::numeric)::text FROM backup_runs
                WHERE status = 'succeeded' AND type IN ('full', 'incremental', 'differential')) AS xmin`,
    );
    const r = rows[0];
    if (!r || r.running || !r.xmin) return;
    await pruneTombstones(this.d.env().ownerUrl, r.xmin);
  }

  /**
   * Runs `work` while writing a heartbeat on its row every HEARTBEAT_MS: a run or restore whose
   * process died (kill -9, a lost machine) stops beating, and sweepStale() fails it.
   */
  private async beating<T>(
    table: 'backup_runs' | 'backup_restores',
    id: string,
    work: () => Promise<T>,
  ): Promise<T> {
    const beat = () =>
      this.pool.query(`UPDATE ${table} SET heartbeat_at = now() WHERE id = $1`, [id]).catch(this.d.onError);
    const timer = setInterval(beat, HEARTBEAT_MS);
    timer.unref();
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Fails the runs and restores marked running whose heartbeat stopped (their process is gone):
   * otherwise they would read as running forever and hold back every later restore. A failed run's
   * partial files are removed and it counts as a failure for the backup_failed rule.
   */
  async sweepStale(): Promise<{ runs: string[]; restores: string[] }> {
    const stale = `status = 'running' AND coalesce(heartbeat_at, started_at, created_at) < now() - make_interval(secs => ${STALE_AFTER_MS / 1000})`;
    const message = `interrupted: the process running it stopped (no heartbeat for ${STALE_AFTER_MS / 60_000} minutes)`;
    const { rows: runs } = await this.pool.query<{ id: string }>(
      `UPDATE backup_runs SET status = 'failed', error_code = 'interrupted', error_message = $1, finished_at = now()
        WHERE ${stale} RETURNING id`,
      [message],
    );
    const { rows: restores } = await this.pool.query<{ id: string }>(
      `UPDATE backup_restores SET status = 'failed', error_code = 'interrupted', error_message = $1, finished_at = now()
        WHERE ${stale} RETURNING id`,
      [message],
    );
    const env = this.d.env();
    for (const r of runs) {
      await env.primary.removeBackup(r.id).catch(this.d.onError);
      await this.d.monitoring
        .record([{ orgId: null, metric: 'backup.failures', value: 1 }])
        .catch(this.d.onError);
    }
    return { runs: runs.map((r) => r.id), restores: restores.map((r) => r.id) };
  }

  /** Records backup.age_seconds (platform) for the backup_missing alert rule. */
  async recordAge(): Promise<void> {
    const at = await store.lastSuccessAt(this.pool);
    if (!at) return;
    const age = Math.max(0, Math.round((this.d.clock().getTime() - at.getTime()) / 1000));
    await this.d.monitoring.record([{ orgId: null, metric: 'backup.age_seconds', value: age }]);
  }

  /**
   * Verifies a backup: every byte of every part of its chain (size, SHA-256, every segment tag),
   * then a restore of the chain into a scratch database compared with the manifest's checksums.
   * Records the run's verify status, the restore row (kind verify) when given, emits backup.verified.
   */
  async verify(backupId: string, restoreId: string | null): Promise<{ ok: boolean; detail: unknown }> {
    const env = this.d.env();
    await store.setVerify(this.pool, backupId, 'pending', null);
    if (restoreId) await store.startRestore(this.pool, restoreId);
    const started = Date.now();
    let ok = false;
    let detail: Record<string, unknown>;
    try {
      const chain = await this.chain(backupId);
      const files = [];
      for (const m of chain) {
        const r = await verifyBackupFiles(env.primary, m.id, env.keySource, {
          installationId: env.installationId,
        });
        files.push({ backupId: m.id, ...r });
      }
      const bad = files.flatMap((f) =>
        f.parts.filter((p) => !p.ok).map((p) => ({ backupId: f.backupId, ...p })),
      );
      if (bad.length > 0) {
        detail = { files, problem: `part ${bad[0]?.name}: ${bad[0]?.error ?? 'failed'}` };
      } else {
        const scratch = await scratchRestore(env, chain, 'bul_verify');
        ok = scratch.ok;
        detail = {
          files: files.map((f) => ({
            backupId: f.backupId,
            ok: f.ok,
            bytesRead: f.bytesRead,
            parts: f.parts.length,
          })),
          restore: scratch,
          ...(scratch.ok
            ? {}
            : { problem: `tables differ: ${scratch.mismatches.map((m) => m.table).join(', ')}` }),
        };
      }
    } catch (err) {
      const e = errorOf(err);
      detail = {
        problem: e.message,
        code: e.code,
        ...(e.part ? { part: e.part } : {}),
        ...(e.offset !== undefined ? { offset: e.offset } : {}),
      };
    }
    await store.setVerify(this.pool, backupId, ok ? 'passed' : 'failed', detail);
    if (restoreId)
      await store.finishRestore(this.pool, restoreId, {
        status: ok ? 'succeeded' : 'failed',
        report: detail,
        rtoMs: Date.now() - started,
        error: ok
          ? null
          : { code: String(detail.code ?? 'verify_failed'), message: String(detail.problem ?? '') },
      });
    await this.emit([
      {
        type: 'backup.verified',
        payload: {
          id: restoreId ?? newId(),
          backupId,
          ok,
          message: ok ? null : String(detail.problem ?? 'verification failed'),
        },
      },
    ]);
    return { ok, detail };
  }

  /** The queued verification (a backup_restores row of kind verify). */
  async verifyRequested(restoreId: string): Promise<void> {
    const r = await store.getRestore(this.pool, restoreId);
    if (r && r.status === 'queued') await this.verify(r.backup_id, restoreId);
  }

  /** A drill: the latest chain restored into a scratch database; the time it took is the RTO. */
  drill(restoreId: string): Promise<void> {
    return this.beating('backup_restores', restoreId, () => this.drillNow(restoreId));
  }

  private async drillNow(restoreId: string): Promise<void> {
    const r = await store.getRestore(this.pool, restoreId);
    if (!r) return;
    await store.startRestore(this.pool, restoreId);
    const started = Date.now();
    try {
      const chain = await this.chain(r.backup_id);
      const scratch = await scratchRestore(this.d.env(), chain, 'bul_drill');
      await store.finishRestore(this.pool, restoreId, {
        status: scratch.ok ? 'succeeded' : 'failed',
        report: scratch,
        rtoMs: Date.now() - started,
        error: scratch.ok
          ? null
          : { code: 'checksum_mismatch', message: scratch.mismatches.map((m) => m.table).join(', ') },
      });
    } catch (err) {
      const e = errorOf(err);
      await store.finishRestore(this.pool, restoreId, {
        status: 'failed',
        rtoMs: Date.now() - started,
        error: e,
      });
    }
  }

  /** A dry run (changes nothing) or an applied restore of `backupId`'s chain within `scope`. */
  async restore(
    backupId: string,
    scope: RestoreScope,
    o: { dryRun: boolean; beforeApply?: (r: RestoreReport) => Promise<void> },
  ): Promise<RestoreReport> {
    const env = this.d.env();
    const chain = await this.chain(backupId);
    return restoreBackup({
      ownerUrl: env.ownerUrl,
      target: env.primary,
      keySource: env.keySource,
      installationId: env.installationId,
      chain,
      scope,
      dryRun: o.dryRun,
      filesRoot: scope.kind === 'tables' ? null : env.filesRoot,
      ...(o.beforeApply ? { beforeApply: o.beforeApply } : {}),
    });
  }

  /**
   * The queued restore job: dry run, safety backup (a full, trigger safety), the restore applied
   * in one transaction, the audit event backup.restored (platform, and the organization's).
   */
  runRestore(restoreId: string): Promise<void> {
    return this.beating('backup_restores', restoreId, () => this.restoreNow(restoreId));
  }

  private async restoreNow(restoreId: string): Promise<void> {
    const r = await store.getRestore(this.pool, restoreId);
    if (!r || r.status === 'succeeded' || r.status === 'failed') return;
    await store.startRestore(this.pool, restoreId);
    const scope = r.scope as RestoreScope;
    let safetyId: string | null = null;
    try {
      const report = await this.restore(r.backup_id, scope, {
        dryRun: false,
        beforeApply: async () => {
          safetyId = newId();
          await store.insertRun(this.pool, {
            id: safetyId,
            type: 'full',
            trigger: 'safety',
            requestedBy: r.requested_by,
          });
          await store.setRestoreSafety(this.pool, restoreId, safetyId);
          await this.runBackup(safetyId, { attempt: 1, final: true });
        },
      });
      await this.clearCache(scope);
      const changed = report.tables.filter((t) => t.added + t.changed + t.removed > 0).length;
      const actor: AuditActor = r.requested_by
        ? { type: 'user', id: r.requested_by, label: null }
        : SYSTEM_ACTOR;
      const event: EventInput = {
        type: 'backup.restored',
        payload: {
          id: restoreId,
          backupId: r.backup_id,
          scope: scope.kind,
          organizationId: r.org_id,
          safetyBackupId: safetyId,
          tables: changed,
        },
      };
      const record = (tx: Sql, orgId: string) =>
        this.d.audit.record(tx, {
          orgId,
          actor,
          action: 'backup.restored',
          resourceType: 'backup_restore',
          resourceId: restoreId,
          metadata: { backupId: r.backup_id, scope, safetyBackupId: safetyId, tables: report.tables },
          events: [event],
        });
      if (r.org_id)
        await this.d.db.transaction({ orgId: r.org_id, userId: r.requested_by }, (tx) =>
          record(tx, r.org_id as string),
        );
      // The platform's audit event and the restore's end commit together, after the organization's.
      await this.d.db.transaction({ orgId: PLATFORM_ORG_ID, userId: r.requested_by }, async (tx) => {
        await record(tx, PLATFORM_ORG_ID);
        await store.finishRestore(tx, restoreId, { status: 'succeeded', report, safetyBackupId: safetyId });
      });
    } catch (err) {
      await store.finishRestore(this.pool, restoreId, {
        status: 'failed',
        error: errorOf(err),
        safetyBackupId: safetyId,
      });
      throw err;
    }
  }

  /**
   * Once a restore's changes committed: drops the cached values computed before it, in every
   * process (the same invalidation as POST /cache/invalidate). The data version alone cannot tell:
   * a restore brings audit and event counts and organizations.version back to earlier values, so a
   * version can match an entry cached before the restore for other data. One organization: its
   * entries and the platform's (its figures are part of every platform-wide value); the whole
   * installation or chosen tables: every entry. A failure is reported, not thrown: the restore
   * stands (the entries still expire within CACHE_TTL_MS + CACHE_STALE_MS).
   */
  private async clearCache(scope: RestoreScope): Promise<void> {
    const tags =
      scope.kind === 'organization'
        ? [cacheTag({ orgId: scope.orgId }, '*'), cacheTag(PLATFORM, '*')]
        : [EVERY_SCOPE];
    await this.d.cache.invalidate(tags).catch(this.d.onError);
  }

  /**
   * One schedule tick: for each enabled schedule, each occurrence in (previous tick, tick] becomes
   * a run and a job keyed by the occurrence (so two processes, or a tick run twice, queue it once);
   * the drill likewise. Then backup.age_seconds, so the backup_missing rule always has a reading.
   */
  async scheduleTick(tick: Date, everyMs: number): Promise<number> {
    await this.sweepStale().catch(this.d.onError);
    const from = new Date(tick.getTime() - everyMs);
    let queued = 0;
    const schedules = await store.schedules(this.pool);
    for (const s of schedules) {
      if (!s.enabled) continue;
      for (const at of occurrencesBetween(s.cron, s.time_zone, from, tick)) {
        const occurrence = `backup:${s.type}:${at.toISOString()}`;
        const id = newId();
        const inserted = await this.d.db.transaction({ orgId: null, userId: null }, async (tx) => {
          const row = await store.insertRun(tx, {
            id,
            type: s.type,
            trigger: 'schedule',
            requestedBy: null,
            occurrence,
          });
          if (row)
            await store.addJob(
              tx,
              RUN_JOB,
              { runId: id },
              { jobKey: occurrence, maxAttempts: s.retries + 1 },
            );
          return row !== null;
        });
        if (inserted) queued++;
      }
    }
    const settings = await store.settings(this.pool);
    if (settings.drill_enabled) {
      for (const at of occurrencesBetween(settings.drill_cron, settings.drill_time_zone, from, tick)) {
        const latest = await store.lastSucceeded(this.pool, ['full', 'incremental', 'differential']);
        if (!latest) break;
        await this.d.db.transaction({ orgId: null, userId: null }, async (tx) => {
          const key = `drill:${at.toISOString()}`;
          const { rows } = await tx.query('SELECT 1 FROM backup_restores WHERE kind = $1 AND scope = $2', [
            'drill',
            JSON.stringify({ kind: 'all', occurrence: key }),
          ]);
          if (rows.length > 0) return;
          const id = newId();
          await store.insertRestore(tx, {
            id,
            kind: 'drill',
            backupId: latest.id,
            scope: { kind: 'all', occurrence: key },
            orgId: null,
            dryRun: false,
            requestedBy: null,
          });
          await store.addJob(tx, DRILL_JOB, { restoreId: id }, { jobKey: key });
        });
      }
    }
    await this.recordAge().catch(this.d.onError);
    return queued;
  }
}
