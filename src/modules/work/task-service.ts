// Tasks: belong to a project, are assigned to a member, follow the task status machine with
// completedAt kept in step. Members with tasks:manage change any task; members with only
// tasks:work change the status, description and estimate of tasks assigned to them.
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, invalidField, notFound } from '../../platform/errors.ts';
import type { EventInput } from '../../platform/events/catalogue.ts';
import { changedFields } from '../../platform/events/outbox.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';
import { type AuditService, type ChangeScope, diff } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import type { AttachmentFiles } from './attachment-files.ts';
import { releaseAttachments } from './attachment-release.ts';
import { WORK } from './messages.ts';
import type { ProjectService } from './project-service.ts';
import {
  type CreateTaskInput,
  type RestoreTaskInput,
  type TaskDto,
  type TaskListQueryType,
  type UpdateTaskInput,
  WORKER_EDITABLE,
} from './task-schemas.ts';
import * as store from './task-store.ts';
import { assertTaskMove } from './transitions.ts';

export function taskToDto(t: store.TaskRow): TaskDto {
  return {
    id: t.id,
    projectId: t.project_id,
    title: t.title,
    description: t.description,
    assigneeId: t.assignee_id,
    priority: t.priority,
    status: t.status,
    tags: t.tags,
    dueDate: t.due_date,
    estimateMinutes: t.estimate_minutes,
    completedAt: t.completed_at ? t.completed_at.toISOString() : null,
    createdBy: t.created_by,
    createdAt: t.created_at.toISOString(),
    updatedAt: t.updated_at.toISOString(),
    version: t.version,
  };
}

/** The events of a task change: updated, and status_changed / assigned when those moved. */
function taskChangeEvents(before: store.TaskRow, after: store.TaskRow, fields: string[]): EventInput[] {
  const id = after.id;
  const projectId = after.project_id;
  const events: EventInput[] = [{ type: 'task.updated', payload: { id, projectId, fields } }];
  if (after.status !== before.status)
    events.push({
      type: 'task.status_changed',
      payload: { id, projectId, from: before.status, to: after.status },
    });
  if (after.assignee_id !== before.assignee_id)
    events.push({
      type: 'task.assigned',
      payload: { id, projectId, assigneeId: after.assignee_id, previousAssigneeId: before.assignee_id },
    });
  return events;
}

const PROJECT_MISSING = () => COMMON.noSuch({ what: resourceName('project') });
const NOT_A_MEMBER = () => WORK.assigneeNotMember();

/** A task foreign key's refusal as the field error the lookups in checkReferences give; else null. */
function referenceError(err: unknown): AppError | null {
  const e = err as { code?: string; constraint?: string };
  if (e.code !== '23503') return null;
  if (e.constraint === store.TASK_REFERENCE_KEYS.project)
    return invalidField('projectId', 'exists', PROJECT_MISSING());
  if (e.constraint === store.TASK_REFERENCE_KEYS.assignee)
    return invalidField('assigneeId', 'member', NOT_A_MEMBER());
  return null;
}

/** Whether the caller may work on this task: any task with tasks:manage, their own with tasks:work. */
export function canWorkOn(ctx: CallContext, task: Pick<store.TaskRow, 'assignee_id'>): boolean {
  const p = ctx.principal.permissions;
  return p.has('tasks:manage') || (p.has('tasks:work') && task.assignee_id === ctx.principal.userId);
}

export class TaskService {
  private readonly db: Db;
  private readonly audit: AuditService;
  private readonly tenancy: TenancyService;
  private readonly projects: ProjectService;
  private readonly files: AttachmentFiles;

  constructor(deps: {
    db: Db;
    audit: AuditService;
    tenancy: TenancyService;
    projects: ProjectService;
    files: AttachmentFiles;
  }) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.tenancy = deps.tenancy;
    this.projects = deps.projects;
    this.files = deps.files;
  }

  async listTasks(ctx: CallContext, q: TaskListQueryType): Promise<PageOf<TaskDto>> {
    const page = await this.db.transaction(tenantScope(ctx), (tx) => store.listTasks(tx, q));
    return { items: page.items.map(taskToDto), nextCursor: page.nextCursor };
  }

  async getTask(ctx: CallContext, id: string): Promise<TaskDto> {
    const row = await this.db.transaction(tenantScope(ctx), (tx) => store.getTask(tx, id));
    if (!row) throw notFound('task');
    return taskToDto(row);
  }

  /** The task, or 404; for the other task services (comments, time, attachments). */
  async requireTask(tx: Sql, id: string, forUpdate = false): Promise<store.TaskRow> {
    const row = await store.getTask(tx, id, forUpdate);
    if (!row) throw notFound('task');
    return row;
  }

  /**
   * Creates a task in a transaction of its own. The project and the assignee are checked by the
   * INSERT's foreign keys rather than by lookups before it (two round trips fewer); a refused
   * reference becomes the same 400 as the lookups give.
   */
  async createTask(ctx: CallContext, body: CreateTaskInput): Promise<TaskDto> {
    try {
      return await this.audit.change(ctx, (_tx, _record, s) => this.insertTask(s, body));
    } catch (err) {
      throw referenceError(err) ?? err;
    }
  }

  /**
   * Creates a task inside the caller's change (imports). The references are looked up first:
   * a refused row must not abort the transaction the rest of the import goes on in.
   */
  async createTaskIn(tx: Sql, s: ChangeScope, body: CreateTaskInput): Promise<TaskDto> {
    await this.checkReferences(tx, body);
    return this.insertTask(s, body);
  }

  /**
   * Restores an exported task inside the caller's change (imports), as createTaskIn, keeping
   * the completion time of a completed one (now when it has none); any other status has none.
   */
  async restoreTaskIn(tx: Sql, s: ChangeScope, body: RestoreTaskInput): Promise<TaskDto> {
    const { completedAt, ...rest } = body;
    if (completedAt && rest.status !== 'completed')
      throw invalidField(
        'completedAt',
        'completedOnly',
        WORK.completedOnlyTask({ status: rest.status ?? 'pending' }),
      );
    await this.checkReferences(tx, rest);
    return this.insertTask(s, rest, completedAt ? new Date(completedAt) : null);
  }

  /** The task's INSERT and its audit event, in one statement. */
  private async insertTask(
    s: ChangeScope,
    body: CreateTaskInput,
    completedAt: Date | null = null,
  ): Promise<TaskDto> {
    const id = newId();
    const write = store.insertTaskWrite(
      s.orgId,
      id,
      s.userId,
      {
        project_id: body.projectId,
        title: body.title,
        description: body.description ?? '',
        assignee_id: body.assigneeId ?? null,
        priority: body.priority ?? 'medium',
        status: body.status ?? 'pending',
        tags: body.tags ?? [],
        due_date: body.dueDate ?? null,
        estimate_minutes: body.estimateMinutes ?? null,
      },
      completedAt,
    );
    const [row] = await s.recordWith<store.TaskRow>(
      write,
      {
        action: 'task.create',
        resourceType: 'task',
        resourceId: id,
        events: [
          {
            type: 'task.created',
            payload: {
              id,
              projectId: body.projectId,
              assigneeId: body.assigneeId ?? null,
              status: body.status ?? 'pending',
            },
          },
          ...(body.assigneeId
            ? [
                {
                  type: 'task.assigned' as const,
                  payload: {
                    id,
                    projectId: body.projectId,
                    assigneeId: body.assigneeId,
                    previousAssigneeId: null,
                  },
                },
              ]
            : []),
        ],
      },
      store.TASK_EDITABLE,
    );
    return taskToDto(row!);
  }

  private async checkReferences(
    tx: Sql,
    body: { projectId?: string; assigneeId?: string | null },
  ): Promise<void> {
    if (body.projectId && !(await this.projects.exists(tx, body.projectId))) {
      throw invalidField('projectId', 'exists', PROJECT_MISSING());
    }
    if (body.assigneeId && !(await this.tenancy.members.isMember(tx, body.assigneeId))) {
      throw invalidField('assigneeId', 'member', NOT_A_MEMBER());
    }
  }

  async updateTask(
    ctx: CallContext,
    id: string,
    body: UpdateTaskInput,
    expectedVersion?: number,
  ): Promise<TaskDto> {
    return this.audit.change(ctx, async (tx, record) => {
      const before = await store.getTask(tx, id, true);
      if (!before) throw notFound('task');
      if (!ctx.principal.permissions.has('tasks:manage')) {
        if (!canWorkOn(ctx, before)) {
          throw new AppError('forbidden', WORK.onlyOwnTasks(), {
            extra: { permission: 'tasks:manage' },
          });
        }
        const outside = (Object.keys(body) as (keyof UpdateTaskInput)[]).filter(
          (k) => !WORKER_EDITABLE.includes(k),
        );
        if (outside.length > 0) {
          throw new AppError('forbidden', WORK.fieldsNeedManage({ fields: { list: outside } }), {
            extra: { permission: 'tasks:manage', fields: outside },
          });
        }
      }
      assertVersion(before.version, expectedVersion, 'task');
      if (body.status !== undefined) assertTaskMove(before.status, body.status);
      await this.checkReferences(tx, body);
      const fields: Partial<store.TaskFields> = {};
      if (body.projectId !== undefined) fields.project_id = body.projectId;
      if (body.title !== undefined) fields.title = body.title;
      if (body.description !== undefined) fields.description = body.description;
      if (body.assigneeId !== undefined) fields.assignee_id = body.assigneeId;
      if (body.priority !== undefined) fields.priority = body.priority;
      if (body.status !== undefined && body.status !== before.status) fields.status = body.status;
      if (body.tags !== undefined) fields.tags = body.tags;
      if (body.dueDate !== undefined) fields.due_date = body.dueDate;
      if (body.estimateMinutes !== undefined) fields.estimate_minutes = body.estimateMinutes;
      const changes = diff(before, { ...before, ...fields }, store.TASK_EDITABLE);
      if (!changes) return taskToDto(before);
      const after = await store.updateTask(tx, id, fields);
      await record({
        action: fields.status ? 'task.status_change' : 'task.update',
        resourceType: 'task',
        resourceId: id,
        events: taskChangeEvents(before, after, changedFields(changes)),
        changes,
      });
      return taskToDto(after);
    });
  }

  /** Deletes a task with its attachments (their files go once the deletion has committed). */
  async deleteTask(ctx: CallContext, id: string, expectedVersion?: number): Promise<void> {
    const s = tenantScope(ctx);
    const files = await this.audit.change(ctx, async (tx, record) => {
      const before = await store.getTask(tx, id, true);
      if (!before) throw notFound('task');
      assertVersion(before.version, expectedVersion, 'task');
      const files = await releaseAttachments(tx, this.tenancy, s.orgId, { taskId: id });
      await store.deleteTask(tx, id);
      await record({
        action: 'task.delete',
        resourceType: 'task',
        resourceId: id,
        events: [{ type: 'task.deleted', payload: { id, projectId: before.project_id } }],
        changes: diff(before, null, store.TASK_EDITABLE),
        metadata: files.length > 0 ? { attachmentsDeleted: files.length } : undefined,
      });
      return files;
    });
    await this.files.remove(s.orgId, files);
  }
}
