// Backup runs as the API sees them: status, dashboard and health, the list, one run, a run
// requested by hand (queued as a job for a worker).
import { newId, PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { decodeCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import type { CallContext } from '../../platform/http/request-context.ts';
import { type AuditService, actorOf } from '../audit/service.ts';
import { scheduleJson, targetsOf } from './config-service.ts';
import type { BackupEnvironment } from './engine.ts';
import { runForOrganizationAdmin, runJson } from './json.ts';
import { RUN_JOB } from './runner.ts';
import type { BackupRunJson, BackupTypeName, RunListInput } from './schemas.ts';
import * as store from './store.ts';

/** A successful backup older than this is critical (the backup_missing alert rule uses 26 h too). */
export const MAX_AGE_SECONDS = 26 * 3600;

export interface BackupHealth {
  ageSeconds: number | null;
  lastSuccessAt: string | null;
  successRate30d: number | null;
  lastVerify: { at: string; status: string } | null;
  lastDrill: { at: string; rtoSeconds: number | null; status: string } | null;
  status: 'ok' | 'warning' | 'critical' | 'unknown';
  /** Stored bytes of every kept backup. */
  sizeBytes: number;
}

const isRunCursor = (v: unknown): v is { at: string; id: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { at: unknown }).at === 'string' &&
  typeof (v as { id: unknown }).id === 'string';

/** Who reads a run: super admins and the CLI see everything, organization admins less. */
export type RunViewer = 'platform' | 'organization';

export class RunService {
  private readonly d: { db: Db; audit: AuditService; env: () => BackupEnvironment; clock: () => Date };
  constructor(d: RunService['d']) {
    this.d = d;
  }

  private get pool() {
    return this.d.db.pool;
  }

  async status() {
    const [{ running, queued }, last] = await Promise.all([
      store.runningAndQueued(this.pool),
      store.lastByType(this.pool),
    ]);
    const by = (t: BackupTypeName) => {
      const r = last.find((x) => x.type === t);
      return r ? runJson(r) : null;
    };
    return {
      running: running ? runJson(running) : null,
      queued,
      lastByType: {
        full: by('full'),
        incremental: by('incremental'),
        differential: by('differential'),
        critical: by('critical'),
      },
    };
  }

  async health(): Promise<BackupHealth> {
    const now = this.d.clock();
    const since = new Date(now.getTime() - 30 * 86400_000);
    const [lastAt, recent, verify, drill, kept] = await Promise.all([
      store.lastSuccessAt(this.pool),
      store.finishedSince(this.pool, since),
      store.lastOfKind(this.pool, 'verify'),
      store.lastOfKind(this.pool, 'drill'),
      store.succeededRuns(this.pool),
    ]);
    const ageSeconds = lastAt ? Math.max(0, Math.round((now.getTime() - lastAt.getTime()) / 1000)) : null;
    const succeeded = recent.filter((r) => r.status === 'succeeded').length;
    const lastRun = recent[recent.length - 1];
    const verifyRun = kept.find((r) => r.verify_status === 'passed' || r.verify_status === 'failed');
    const lastVerify = verify?.finished_at
      ? { at: verify.finished_at.toISOString(), status: verify.status === 'succeeded' ? 'passed' : 'failed' }
      : verifyRun?.verified_at
        ? { at: verifyRun.verified_at.toISOString(), status: verifyRun.verify_status as string }
        : null;
    const status: BackupHealth['status'] =
      ageSeconds === null
        ? 'unknown'
        : ageSeconds > MAX_AGE_SECONDS
          ? 'critical'
          : lastRun?.status === 'failed' || lastVerify?.status === 'failed'
            ? 'warning'
            : 'ok';
    return {
      ageSeconds,
      lastSuccessAt: lastAt?.toISOString() ?? null,
      successRate30d: recent.length > 0 ? succeeded / recent.length : null,
      lastVerify,
      lastDrill: drill?.finished_at
        ? {
            at: drill.finished_at.toISOString(),
            rtoSeconds: drill.rto_ms === null ? null : Number(drill.rto_ms) / 1000,
            status: drill.status,
          }
        : null,
      status,
      sizeBytes: kept.reduce((n, r) => n + Number(r.stored_bytes ?? 0), 0),
    };
  }

  async dashboard() {
    const now = this.d.clock();
    const [health, recent, schedules] = await Promise.all([
      this.health(),
      store.finishedSince(this.pool, new Date(now.getTime() - 90 * 86400_000)),
      store.schedules(this.pool),
    ]);
    const { sizeBytes: _size, ...h } = health;
    return {
      health: h,
      sizeTrend: recent
        .filter((r) => r.status === 'succeeded')
        .map((r) => ({
          at: (r.finished_at ?? r.created_at).toISOString(),
          type: r.type,
          storedBytes: Number(r.stored_bytes ?? 0),
          durationMs: Number(r.duration_ms ?? 0),
        })),
      schedules: schedules.map((s) => scheduleJson(s, now)),
      targets: targetsOf(this.d.env()),
    };
  }

  /** `viewer`: the platform's (super admins, the CLI) or an organization admin's reduced view. */
  async list(q: RunListInput, viewer: RunViewer = 'platform'): Promise<PageOf<BackupRunJson>> {
    const json = viewer === 'platform' ? runJson : (r: store.RunRow) => runForOrganizationAdmin(runJson(r));
    const limit = q.limit ?? 50;
    const after = decodeCursor(q.cursor, isRunCursor);
    const rows = await store.listRuns(this.pool, {
      ...(q.type ? { type: q.type } : {}),
      ...(q.status ? { status: q.status } : {}),
      limit,
      after,
    });
    return toPage(rows, limit, json, (r) => ({ at: r.created_at.toISOString(), id: r.id }));
  }

  async get(id: string, viewer: RunViewer = 'platform') {
    const r = await store.getRun(this.pool, id, true);
    if (!r) throw notFound('backup');
    const m = r.manifest as {
      tables?: { name: string; rows: number; part: string }[];
      parts?: { name: string; storedBytes: number }[];
    } | null;
    const stored = new Map((m?.parts ?? []).map((p) => [p.name, p.storedBytes]));
    const detail = {
      ...runJson(r),
      tables:
        r.status === 'succeeded'
          ? (m?.tables ?? []).map((t) => ({
              name: t.name,
              rows: t.rows,
              storedBytes: stored.get(t.part) ?? 0,
            }))
          : [],
    };
    return viewer === 'platform' ? detail : runForOrganizationAdmin(detail);
  }

  /** Queues a backup by hand; a second request of a type already queued answers that run. */
  async request(ctx: CallContext, type: BackupTypeName): Promise<BackupRunJson> {
    if (!ctx.principal.isSuperAdmin) throw new AppError('forbidden');
    const id = newId();
    const row = await this.d.db.transaction(
      { orgId: PLATFORM_ORG_ID, userId: ctx.principal.userId },
      async (tx) => {
        const r = await store.insertRun(tx, {
          id,
          type,
          trigger: 'manual',
          requestedBy: ctx.principal.userId,
        });
        await store.addJob(tx, RUN_JOB, { runId: id }, { jobKey: `backup:manual:${id}`, maxAttempts: 1 });
        await this.d.audit.record(tx, {
          orgId: PLATFORM_ORG_ID,
          actor: actorOf(ctx),
          action: 'backup.run',
          resourceType: 'backup',
          resourceId: id,
          metadata: { type },
          meta: ctx.meta,
        });
        return r;
      },
    );
    return runJson(row as store.RunRow);
  }
}
