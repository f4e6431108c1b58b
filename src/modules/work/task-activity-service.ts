// What people do around a task: comments, time entries and watching. Logging time needs the right
// to work on the task (tasks:manage, or tasks:work and being its assignee); commenting needs that
// or tasks:work and watching the task (collaborators follow a task, then discuss it); anyone who
// can read tasks may watch one; only tasks:manage adds or removes other people as watchers.
import { newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { type AuditService, diff } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { WORK } from './messages.ts';
import type { CommentDto, CreateTimeEntryInput, TimeEntryDto, WatcherDto } from './task-schemas.ts';
import { canWorkOn, type TaskService } from './task-service.ts';
import * as store from './task-store.ts';

function commentToDto(c: store.CommentRow): CommentDto {
  return {
    id: c.id,
    taskId: c.task_id,
    authorId: c.author_id,
    authorName: c.author_name,
    body: c.body,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
    version: c.version,
  };
}

function timeEntryToDto(e: store.TimeEntryRow): TimeEntryDto {
  return {
    id: e.id,
    taskId: e.task_id,
    userId: e.user_id,
    spentOn: e.spent_on,
    minutes: e.minutes,
    note: e.note,
    createdAt: e.created_at.toISOString(),
    updatedAt: e.updated_at.toISOString(),
    version: e.version,
  };
}

function refuseWork(): never {
  throw new AppError('forbidden', WORK.onlyOwnTaskWork(), {
    extra: { permission: 'tasks:manage' },
  });
}

export class TaskActivityService {
  private readonly db: Db;
  private readonly audit: AuditService;
  private readonly tenancy: TenancyService;
  private readonly tasks: TaskService;

  constructor(deps: { db: Db; audit: AuditService; tenancy: TenancyService; tasks: TaskService }) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.tenancy = deps.tenancy;
    this.tasks = deps.tasks;
  }

  // ---- comments --------------------------------------------------------------------------------

  async listComments(ctx: CallContext, taskId: string): Promise<CommentDto[]> {
    return this.db.transaction(tenantScope(ctx), async (tx) => {
      await this.tasks.requireTask(tx, taskId);
      return (await store.listComments(tx, taskId)).map(commentToDto);
    });
  }

  async addComment(ctx: CallContext, taskId: string, body: string): Promise<CommentDto> {
    return this.audit.change(ctx, async (tx, record, s) => {
      const task = await this.tasks.requireTask(tx, taskId);
      if (!canWorkOn(ctx, task) && !(await store.isWatching(tx, taskId, s.userId))) refuseWork();
      const row = await store.insertComment(tx, {
        orgId: s.orgId,
        id: newId(),
        taskId,
        authorId: s.userId,
        body,
      });
      await record({
        action: 'comment.create',
        resourceType: 'comment',
        resourceId: row.id,
        events: [
          {
            type: 'comment.added',
            payload: { id: row.id, taskId, projectId: task.project_id, authorId: s.userId },
          },
        ],
        changes: diff(null, row, ['body']),
        metadata: { taskId },
      });
      return commentToDto(row);
    });
  }

  /** Authors edit their own comments; tasks:manage may edit or delete anyone's. */
  async editComment(
    ctx: CallContext,
    taskId: string,
    id: string,
    body: string,
    expectedVersion?: number,
  ): Promise<CommentDto> {
    return this.audit.change(ctx, async (tx, record) => {
      const before = await store.getComment(tx, taskId, id, true);
      if (!before) throw notFound('comment');
      this.assertAuthor(ctx, before);
      assertVersion(before.version, expectedVersion, 'comment');
      if (body === before.body) return commentToDto(before);
      const after = await store.updateComment(tx, taskId, id, body);
      const changes = diff(before, after, ['body']);
      if (changes) {
        await record({
          action: 'comment.update',
          resourceType: 'comment',
          resourceId: id,
          changes,
          metadata: { taskId },
        });
      }
      return commentToDto(after);
    });
  }

  async deleteComment(ctx: CallContext, taskId: string, id: string, expectedVersion?: number): Promise<void> {
    await this.audit.change(ctx, async (tx, record) => {
      const before = await store.getComment(tx, taskId, id, true);
      if (!before) throw notFound('comment');
      this.assertAuthor(ctx, before);
      assertVersion(before.version, expectedVersion, 'comment');
      await store.deleteComment(tx, id);
      await record({
        action: 'comment.delete',
        resourceType: 'comment',
        resourceId: id,
        changes: diff(before, null, ['body']),
        metadata: { taskId },
      });
    });
  }

  private assertAuthor(ctx: CallContext, comment: store.CommentRow): void {
    if (comment.author_id !== ctx.principal.userId && !ctx.principal.permissions.has('tasks:manage')) {
      throw new AppError('forbidden', WORK.onlyAuthorComment(), {
        extra: { permission: 'tasks:manage' },
      });
    }
  }

  // ---- time entries ----------------------------------------------------------------------------

  async listTimeEntries(
    ctx: CallContext,
    taskId: string,
  ): Promise<{ items: TimeEntryDto[]; totalMinutes: number; estimateMinutes: number | null }> {
    return this.db.transaction(tenantScope(ctx), async (tx) => {
      const task = await this.tasks.requireTask(tx, taskId);
      const rows = await store.listTimeEntries(tx, taskId);
      return {
        items: rows.map(timeEntryToDto),
        totalMinutes: rows.reduce((n, r) => n + r.minutes, 0),
        estimateMinutes: task.estimate_minutes,
      };
    });
  }

  async logTime(ctx: CallContext, taskId: string, body: CreateTimeEntryInput): Promise<TimeEntryDto> {
    return this.audit.change(ctx, async (tx, record, s) => {
      const task = await this.tasks.requireTask(tx, taskId);
      if (!canWorkOn(ctx, task)) refuseWork();
      const userId = body.userId ?? s.userId;
      if (userId !== s.userId) {
        if (!ctx.principal.permissions.has('tasks:manage')) {
          throw new AppError('forbidden', WORK.othersTimeLog(), {
            extra: { permission: 'tasks:manage' },
          });
        }
        if (!(await this.tenancy.members.isMember(tx, userId))) {
          throw invalidField('userId', 'member', COMMON.notMember());
        }
      }
      const row = await store.insertTimeEntry(tx, {
        orgId: s.orgId,
        id: newId(),
        taskId,
        userId,
        spentOn: body.spentOn,
        minutes: body.minutes,
        note: body.note ?? '',
      });
      await record({
        action: 'time_entry.create',
        resourceType: 'time_entry',
        resourceId: row.id,
        changes: diff(null, row, ['user_id', 'spent_on', 'minutes', 'note']),
        metadata: { taskId },
      });
      return timeEntryToDto(row);
    });
  }

  async deleteTimeEntry(
    ctx: CallContext,
    taskId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<void> {
    await this.audit.change(ctx, async (tx, record, s) => {
      const before = await store.getTimeEntry(tx, taskId, id);
      if (!before) throw notFound('timeEntry');
      assertVersion(before.version, expectedVersion, 'timeEntry');
      if (before.user_id !== s.userId && !ctx.principal.permissions.has('tasks:manage')) {
        throw new AppError('forbidden', WORK.othersTimeDelete(), {
          extra: { permission: 'tasks:manage' },
        });
      }
      await store.deleteTimeEntry(tx, id);
      await record({
        action: 'time_entry.delete',
        resourceType: 'time_entry',
        resourceId: id,
        changes: diff(before, null, ['user_id', 'spent_on', 'minutes', 'note']),
        metadata: { taskId },
      });
    });
  }

  // ---- watchers --------------------------------------------------------------------------------

  async listWatchers(ctx: CallContext, taskId: string): Promise<WatcherDto[]> {
    return this.db.transaction(tenantScope(ctx), async (tx) => {
      await this.tasks.requireTask(tx, taskId);
      return (await store.listWatchers(tx, taskId)).map((w) => ({
        userId: w.user_id,
        name: w.name,
        since: w.created_at.toISOString(),
      }));
    });
  }

  async setWatching(ctx: CallContext, taskId: string, userId: string, watching: boolean): Promise<void> {
    const s = tenantScope(ctx);
    if (userId !== s.userId && !ctx.principal.permissions.has('tasks:manage')) {
      throw new AppError('forbidden', WORK.othersWatchers(), {
        extra: { permission: 'tasks:manage' },
      });
    }
    await this.audit.change(ctx, async (tx, record) => {
      await this.tasks.requireTask(tx, taskId);
      if (watching && !(await this.tenancy.members.isMember(tx, userId))) {
        throw invalidField('userId', 'member', WORK.watchersNotMembers());
      }
      const changed = watching
        ? await store.addWatcher(tx, s.orgId, taskId, userId)
        : await store.removeWatcher(tx, taskId, userId);
      if (changed) {
        await record({
          action: watching ? 'task.watch' : 'task.unwatch',
          resourceType: 'task',
          resourceId: taskId,
          metadata: { userId },
        });
      }
    });
  }
}
