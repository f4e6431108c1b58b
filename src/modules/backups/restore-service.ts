// Restores through the API: a dry run answers at once; an applied restore is queued (safety
// backup, restore, audit in a job). Organization admins restore only their own organization, and
// only as the org_restore policy allows. Verifications are queued here too.
import { BackupError } from '../../platform/backup/errors.ts';
import type { RestoreReport, RestoreScope } from '../../platform/backup/restore.ts';
import { newId, PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { decodeCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import type { CallContext } from '../../platform/http/request-context.ts';
import { type AuditService, actorOf } from '../audit/service.ts';
import { restoreJson } from './json.ts';
import { BACKUPS } from './messages.ts';
import { type BackupRunner, errorOf, RESTORE_JOB, VERIFY_JOB } from './runner.ts';
import type { BackupRestoreJson, RecoverInput } from './schemas.ts';
import * as store from './store.ts';

const isCursor = (v: unknown): v is { at: string; id: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { at: unknown }).at === 'string' &&
  typeof (v as { id: unknown }).id === 'string';

/** An engine refusal as the API's problem: 422 backup-unusable naming the reason (and part). */
export function unusable(err: unknown): unknown {
  if (!(err instanceof BackupError)) return err;
  const e = errorOf(err);
  return new AppError('backup-unusable', BACKUPS.unusable({ reason: e.message }), {
    extra: {
      backupError: e.code,
      ...(e.part ? { part: e.part } : {}),
      ...(e.offset !== undefined ? { offset: e.offset } : {}),
    },
  });
}

export class RestoreService {
  private readonly d: { db: Db; audit: AuditService; runner: BackupRunner };
  constructor(d: RestoreService['d']) {
    this.d = d;
  }

  private get pool() {
    return this.d.db.pool;
  }

  /** The organization an org admin's list and reads are limited to (null: super admins, all). */
  private orgFilter(ctx: CallContext): string | null {
    if (ctx.principal.isSuperAdmin) return null;
    return ctx.principal.org?.id ?? PLATFORM_ORG_ID;
  }

  async list(ctx: CallContext, q: { limit?: number; cursor?: string }): Promise<PageOf<BackupRestoreJson>> {
    const limit = q.limit ?? 50;
    const rows = await store.listRestores(this.pool, {
      orgId: this.orgFilter(ctx),
      limit,
      after: decodeCursor(q.cursor, isCursor),
    });
    return toPage(rows, limit, restoreJson, (r) => ({ at: r.created_at.toISOString(), id: r.id }));
  }

  async get(ctx: CallContext, id: string): Promise<BackupRestoreJson> {
    const r = await store.getRestore(this.pool, id);
    const org = this.orgFilter(ctx);
    if (!r || (org !== null && r.org_id !== org)) throw notFound('backupRestore');
    return restoreJson(r);
  }

  async requestVerify(ctx: CallContext, backupId: string): Promise<{ restoreId: string }> {
    const run = await store.getRun(this.pool, backupId);
    if (!run) throw notFound('backup');
    if (run.status !== 'succeeded')
      throw new AppError('conflict', BACKUPS.notRestorable({ id: backupId, status: run.status }));
    const id = newId();
    await this.d.db.transaction({ orgId: PLATFORM_ORG_ID, userId: ctx.principal.userId }, async (tx) => {
      await store.insertRestore(tx, {
        id,
        kind: 'verify',
        backupId,
        scope: null,
        orgId: null,
        dryRun: true,
        requestedBy: ctx.principal.userId,
      });
      await store.addJob(tx, VERIFY_JOB, { restoreId: id }, { jobKey: `verify:${id}` });
      // Pending from the answer on, so a reader (the run's page) follows it until the job is done.
      await store.setVerify(tx, backupId, 'pending', null);
      await this.d.audit.record(tx, {
        orgId: PLATFORM_ORG_ID,
        actor: actorOf(ctx),
        action: 'backup.verify',
        resourceType: 'backup',
        resourceId: backupId,
        metadata: { restoreId: id },
        meta: ctx.meta,
      });
    });
    return { restoreId: id };
  }

  /** Checks who may restore what; returns the engine's scope. */
  private async scopeOf(ctx: CallContext, body: RecoverInput): Promise<RestoreScope> {
    const p = ctx.principal;
    // organization_id names the organization scope: without a scope it means that scope, never all.
    const kind =
      body.scope ?? (body.organization_id !== undefined || !p.isSuperAdmin ? 'organization' : 'all');
    if (kind !== 'organization' && body.organization_id !== undefined)
      throw invalidField('organization_id', 'scope', BACKUPS.organizationNeedsScope());
    if (!p.isSuperAdmin) {
      const policy = (await store.settings(this.pool)).org_restore;
      if (policy === 'disabled')
        throw new AppError('forbidden', BACKUPS.orgRestoreDisabled(), { extra: { policy: 'org_restore' } });
      if (kind !== 'organization') throw new AppError('forbidden', BACKUPS.orgScopeOnly());
      const own = p.org?.id;
      const orgId = body.organization_id ?? own;
      if (!own || orgId !== own) throw new AppError('forbidden', BACKUPS.otherOrganization());
      if (!body.dry_run && policy === 'dry_run')
        throw new AppError('forbidden', BACKUPS.orgRestoreDryRunOnly(), { extra: { policy: 'org_restore' } });
    }
    if (kind === 'organization') {
      if (body.tables) throw invalidField('tables', 'scope', BACKUPS.tablesNeedScopeAll());
      const orgId = body.organization_id ?? (p.isSuperAdmin ? undefined : p.org?.id);
      if (!orgId) throw invalidField('organization_id', 'required', BACKUPS.organizationRequired());
      return { kind: 'organization', orgId };
    }
    return body.tables ? { kind: 'tables', tables: body.tables } : { kind: 'all' };
  }

  async recover(ctx: CallContext, body: RecoverInput) {
    const scope = await this.scopeOf(ctx, body);
    const run = await store.getRun(this.pool, body.backup_id, true);
    if (!run) throw notFound('backup');
    if (run.status !== 'succeeded')
      throw new AppError('conflict', BACKUPS.notRestorable({ id: body.backup_id, status: run.status }));
    if (scope.kind === 'tables') {
      const known = new Set(((run.manifest?.tables ?? []) as { name: string }[]).map((t) => t.name));
      const i = scope.tables.findIndex((t) => !known.has(t));
      if (i >= 0)
        throw invalidField(
          `tables[${i}]`,
          'table',
          BACKUPS.unknownTable({ table: scope.tables[i] as string }),
        );
    }
    const orgId = scope.kind === 'organization' ? scope.orgId : null;
    const userId = ctx.principal.userId;
    const auditOrg = ctx.principal.isSuperAdmin ? PLATFORM_ORG_ID : (orgId as string);
    // An organization that is neither in the database nor in the backup: nothing to restore.
    const unknownOrganization = async (report: RestoreReport | null) => {
      if (scope.kind !== 'organization') return false;
      const here = await this.d.db.transaction({ orgId: scope.orgId, userId }, (tx) =>
        store.organizationExists(tx, scope.orgId),
      );
      if (here) return false;
      const r = report ?? (await this.d.runner.restore(body.backup_id, scope, { dryRun: true }));
      return r.tables.every((t) => t.added + t.changed + t.removed + t.unchanged === 0);
    };
    const noSuchOrganization = () =>
      invalidField(
        'organization_id',
        'exists',
        BACKUPS.unknownOrganization({ id: (scope as { orgId: string }).orgId }),
      );
    if (body.dry_run) {
      const report = await this.d.runner.restore(body.backup_id, scope, { dryRun: true }).catch((err) => {
        throw unusable(err);
      });
      if (await unknownOrganization(report)) throw noSuchOrganization();
      const id = newId();
      await this.d.db.transaction({ orgId: auditOrg, userId }, async (tx) => {
        await store.insertRestore(tx, {
          id,
          kind: 'restore',
          backupId: body.backup_id,
          scope,
          orgId,
          dryRun: true,
          requestedBy: userId,
          status: 'succeeded',
          report,
        });
        await this.d.audit.record(tx, {
          orgId: auditOrg,
          actor: actorOf(ctx),
          action: 'backup.restore_dry_run',
          resourceType: 'backup_restore',
          resourceId: id,
          metadata: { backupId: body.backup_id, scope },
          meta: ctx.meta,
        });
      });
      return { ...report, restoreId: id };
    }
    if (await unknownOrganization(null).catch((err) => Promise.reject(unusable(err))))
      throw noSuchOrganization();
    const id = newId();
    await this.d.db.transaction({ orgId: auditOrg, userId }, async (tx) => {
      const active = await store.activeRestore(tx);
      if (active) throw new AppError('conflict', BACKUPS.restoreRunning({ id: active.id }));
      await store
        .insertRestore(tx, {
          id,
          kind: 'restore',
          backupId: body.backup_id,
          scope,
          orgId,
          dryRun: false,
          requestedBy: userId,
        })
        .catch((err: { code?: string }) => {
          // Another request queued one between the check and this insert (backup_restores_one_active).
          if (err.code === '23505') throw new AppError('conflict', BACKUPS.restoreRunning({ id: '—' }));
          throw err;
        });
      await store.addJob(tx, RESTORE_JOB, { restoreId: id }, { jobKey: `restore:${id}` });
      await this.d.audit.record(tx, {
        orgId: auditOrg,
        actor: actorOf(ctx),
        action: 'backup.restore_request',
        resourceType: 'backup_restore',
        resourceId: id,
        metadata: { backupId: body.backup_id, scope },
        meta: ctx.meta,
      });
    });
    return { id };
  }
}
