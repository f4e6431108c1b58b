// HTTP routes of backups: thin — parse, call the service, shape the answer. Super admins hold
// backups:manage (platform-only); org admins hold backups:restore, which lets them read runs and
// restore their own organization as far as the org_restore policy allows (checked in the service).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { IdParams, StringEnum } from '../../platform/http/common-schemas.ts';
import { Page } from '../../platform/http/pagination.ts';
import { requires } from '../../platform/http/permissions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import type { RunViewer } from './run-service.ts';
import {
  BackupConfigs,
  BackupRestore,
  BackupRun,
  BackupRunDetail,
  BackupStatus,
  Dashboard,
  DryRunResult,
  ORG_RESTORE_POLICIES,
  RecoverAccepted,
  RecoverBody,
  RestoreListQuery,
  RunBody,
  RunListQuery,
  UpdateConfigsBody,
  VerifyAccepted,
  VerifyBody,
} from './schemas.ts';
import type { BackupServices } from './service.ts';

const MANAGE = { access: requires('backups:manage') };
const RESTORE = { access: requires('backups:restore') };
const tags = ['backups'];

const viewerOf = (request: FastifyRequest): RunViewer =>
  callContext(request).principal.isSuperAdmin ? 'platform' : 'organization';

export const backupRoutes: FastifyPluginAsyncTypebox<{ backups: BackupServices }> = async (
  app,
  { backups },
) => {
  app.get(
    '/backup/status',
    {
      schema: {
        operationId: 'getBackupStatus',
        tags,
        summary: 'The running backup, how many are queued, the last of each type',
        response: { 200: BackupStatus },
      },
      config: MANAGE,
    },
    async () => backups.runs.status(),
  );

  app.get(
    '/backup/dashboard',
    {
      schema: {
        operationId: 'getBackupDashboard',
        tags,
        summary:
          'Backup health (age, success rate, last verification and drill), size trend, schedules, targets',
        response: { 200: Dashboard },
      },
      config: MANAGE,
    },
    async () => backups.runs.dashboard(),
  );

  app.get(
    '/backup/list',
    {
      schema: {
        operationId: 'listBackups',
        tags,
        summary: 'Backup runs, newest first (filters: type, status)',
        querystring: RunListQuery,
        response: { 200: Page(BackupRun) },
      },
      config: RESTORE,
    },
    async (request) => backups.runs.list(request.query, viewerOf(request)),
  );

  app.get(
    '/backup/runs/:id',
    {
      schema: {
        operationId: 'getBackupRun',
        tags,
        summary: 'A backup run with its progress and, once succeeded, its tables',
        params: IdParams,
        response: { 200: BackupRunDetail },
      },
      config: RESTORE,
    },
    async (request) => backups.runs.get(request.params.id, viewerOf(request)),
  );

  app.post(
    '/backup/run',
    {
      schema: {
        operationId: 'runBackup',
        tags,
        summary: 'Queue a backup now',
        description:
          'Queued as a job and run by a worker; follow it with GET /backup/runs/{id}. An incremental or differential without a successful full to build on fails with `chain_broken` (take a full first).',
        body: RunBody,
        response: { 202: BackupRun },
      },
      config: MANAGE,
    },
    async (request, reply) =>
      reply.code(202).send(await backups.runs.request(callContext(request), request.body.type)),
  );

  app.post(
    '/backup/verify',
    {
      schema: {
        operationId: 'verifyBackup',
        tags,
        summary: 'Verify a backup: every byte of every part, then a restore into a scratch database',
        description:
          'Queued as a job; the restore row (kind verify) carries the result, and the run its verify status.',
        body: VerifyBody,
        response: { 202: VerifyAccepted },
      },
      config: { ...MANAGE, problems: ['not-found', 'conflict'] },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(await backups.restores.requestVerify(callContext(request), request.body.backup_id)),
  );

  app.get(
    '/backup/configs',
    {
      schema: {
        operationId: 'getBackupConfigs',
        tags,
        summary:
          'Schedules, retention, verification, critical tables, organization restore policy, drill, targets',
        response: { 200: BackupConfigs },
      },
      config: MANAGE,
    },
    async () => backups.configs.get(),
  );

  app.put(
    '/backup/configs',
    {
      schema: {
        operationId: 'updateBackupConfigs',
        tags,
        summary: 'Change the backup settings (only the fields sent)',
        description:
          'Refused naming the field: an unknown backup type, a cron expression that does not parse, an unknown time zone, a critical table that is not backed up.',
        body: UpdateConfigsBody,
        response: { 200: BackupConfigs },
      },
      config: MANAGE,
    },
    async (request) => backups.configs.update(callContext(request), request.body),
  );

  app.get(
    '/backup/restore-policy',
    {
      schema: {
        operationId: 'getBackupRestorePolicy',
        tags,
        summary: 'What organization admins may restore (the org_restore setting)',
        response: { 200: Type.Object({ orgRestore: StringEnum(ORG_RESTORE_POLICIES) }) },
      },
      config: RESTORE,
    },
    async () => ({ orgRestore: await backups.configs.orgRestorePolicy() }),
  );

  app.post(
    '/backup/recover',
    {
      schema: {
        operationId: 'recoverBackup',
        tags,
        summary: 'Restore from a backup (a dry run answers at once; a restore is queued)',
        description:
          'A dry run answers 200 with what would be added, changed and removed per table, and changes nothing. Otherwise 202 with the restore’s id: a worker repeats the dry run, takes a full safety backup, applies the restore in one transaction and records `backup.restored`. Organization admins may only restore their own organization (scope organization), and only as the org_restore policy allows (disabled: 403; dry_run: dry runs only). A backup whose schema version differs from the database’s is refused (422 `backup-unusable`).',
        body: RecoverBody,
        response: { 200: DryRunResult, 202: RecoverAccepted },
      },
      config: { ...RESTORE, problems: ['not-found', 'backup-unusable', 'conflict'] },
    },
    async (request, reply) => {
      const result = await backups.restores.recover(callContext(request), request.body);
      if ('restoreId' in result && result.restoreId) return reply.code(200).send(result);
      return reply.code(202).send(result as { id: string });
    },
  );

  app.get(
    '/backup/restores',
    {
      schema: {
        operationId: 'listBackupRestores',
        tags,
        summary: 'Restores, verifications and drills, newest first (org admins: their organization’s)',
        querystring: RestoreListQuery,
        response: { 200: Page(BackupRestore) },
      },
      config: RESTORE,
    },
    async (request) => backups.restores.list(callContext(request), request.query),
  );

  app.get(
    '/backup/restores/:id',
    {
      schema: {
        operationId: 'getBackupRestore',
        tags,
        summary: 'A restore, verification or drill with its report',
        params: IdParams,
        response: { 200: BackupRestore },
      },
      config: RESTORE,
    },
    async (request) => backups.restores.get(callContext(request), request.params.id),
  );
};
