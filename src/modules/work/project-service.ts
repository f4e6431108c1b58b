// Projects: a status machine (transitions.ts), a client, an owner who is a member, a department,
// a budget in the organization's currency against the sum of expenses, progress from tasks unless
// overridden, start/due dates, and milestones.
import { newId } from '../../platform/db/ids.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, fieldError, invalidField, notFound } from '../../platform/errors.ts';
import { changedFields } from '../../platform/events/outbox.ts';
import type { PageOf } from '../../platform/http/pagination.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';
import { assertOrgCurrency } from '../../platform/money/currency.ts';
import { type AuditService, type ChangeScope, diff, type RecordChange } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import type { AttachmentFiles } from './attachment-files.ts';
import { releaseAttachments } from './attachment-release.ts';
import type { ClientService } from './client-service.ts';
import { WORK } from './messages.ts';
import type {
  CreateExpenseInput,
  CreateMilestoneInput,
  CreateProjectInput,
  ExpenseDto,
  MilestoneDto,
  ProjectDto,
  ProjectListQueryType,
  RestoreProjectInput,
  UpdateExpenseInput,
  UpdateMilestoneInput,
  UpdateProjectInput,
} from './project-schemas.ts';
import * as store from './project-store.ts';
import { lockTasksOf } from './task-store.ts';
import { assertProjectMove } from './transitions.ts';

/** progressOverride when set; otherwise completed ÷ (all − cancelled) tasks, in %, rounded down. */
export function projectProgress(
  p: Pick<
    store.ProjectWithFigures,
    'progress_override' | 'tasks_total' | 'tasks_cancelled' | 'tasks_completed'
  >,
): number {
  const counted = p.tasks_total - p.tasks_cancelled;
  return p.progress_override ?? (counted > 0 ? Math.floor((p.tasks_completed * 100) / counted) : 0);
}

export function projectToDto(p: store.ProjectWithFigures): ProjectDto {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    status: p.status,
    clientId: p.client_id,
    ownerId: p.owner_id,
    departmentId: p.department_id,
    tags: p.tags,
    budgetMinor: p.budget_minor,
    currency: p.currency,
    spentMinor: p.spent_minor,
    remainingMinor: p.budget_minor === null ? null : p.budget_minor - p.spent_minor,
    startDate: p.start_date,
    dueDate: p.due_date,
    progress: projectProgress(p),
    progressOverride: p.progress_override,
    taskCounts: {
      total: p.tasks_total,
      pending: p.tasks_pending,
      active: p.tasks_active,
      completed: p.tasks_completed,
      cancelled: p.tasks_cancelled,
    },
    completedAt: p.completed_at ? p.completed_at.toISOString() : null,
    createdAt: p.created_at.toISOString(),
    updatedAt: p.updated_at.toISOString(),
    version: p.version,
  };
}

function milestoneToDto(m: store.MilestoneRow): MilestoneDto {
  return {
    id: m.id,
    projectId: m.project_id,
    name: m.name,
    dueDate: m.due_date,
    done: m.done_at !== null,
    doneAt: m.done_at ? m.done_at.toISOString() : null,
    createdAt: m.created_at.toISOString(),
    updatedAt: m.updated_at.toISOString(),
    version: m.version,
  };
}

function expenseToDto(e: store.ExpenseRow): ExpenseDto {
  return {
    id: e.id,
    projectId: e.project_id,
    spentOn: e.spent_on,
    amountMinor: e.amount_minor,
    currency: e.currency,
    category: e.category,
    note: e.note,
    createdBy: e.created_by,
    createdAt: e.created_at.toISOString(),
    updatedAt: e.updated_at.toISOString(),
    version: e.version,
  };
}

export class ProjectService {
  private readonly db: Db;
  private readonly audit: AuditService;
  private readonly tenancy: TenancyService;
  private readonly clients: ClientService;
  private readonly files: AttachmentFiles;

  constructor(deps: {
    db: Db;
    audit: AuditService;
    tenancy: TenancyService;
    clients: ClientService;
    files: AttachmentFiles;
  }) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.tenancy = deps.tenancy;
    this.clients = deps.clients;
    this.files = deps.files;
  }

  /** Whether a project exists in the organization the transaction acts for (for other modules). */
  exists(tx: Sql, id: string): Promise<boolean> {
    return store.projectExists(tx, id);
  }

  async listProjects(ctx: CallContext, q: ProjectListQueryType): Promise<PageOf<ProjectDto>> {
    const page = await this.db.transaction(tenantScope(ctx), (tx) => store.listProjects(tx, q));
    return { items: page.items.map(projectToDto), nextCursor: page.nextCursor };
  }

  async getProject(ctx: CallContext, id: string): Promise<ProjectDto> {
    const row = await this.db.transaction(tenantScope(ctx), (tx) => store.getProject(tx, id));
    if (!row) throw notFound('project');
    return projectToDto(row);
  }

  async createProject(ctx: CallContext, body: CreateProjectInput): Promise<ProjectDto> {
    return this.audit.change(ctx, (tx, record, s) => this.createProjectIn(tx, record, s, body));
  }

  /** Creates a project inside the caller's change (used by create). */
  createProjectIn(
    tx: Sql,
    record: RecordChange,
    s: ChangeScope,
    body: CreateProjectInput,
  ): Promise<ProjectDto> {
    return this.insertProjectIn(tx, record, s, body, null);
  }

  /**
   * Restores an exported project inside the caller's change (used by imports): any status,
   * since an export holds projects in every status. A completed one keeps its completedAt (now
   * when the file has none); any other status has none. The status machine is not involved: it
   * rules moves of existing projects, and this is a project arriving as it was.
   */
  restoreProjectIn(
    tx: Sql,
    record: RecordChange,
    s: ChangeScope,
    body: RestoreProjectInput,
  ): Promise<ProjectDto> {
    const { status, completedAt, ...rest } = body;
    if (completedAt && status !== 'completed')
      throw invalidField(
        'completedAt',
        'completedOnly',
        WORK.completedOnlyProject({ status: status ?? 'planning' }),
      );
    return this.insertProjectIn(
      tx,
      record,
      s,
      { ...rest, status },
      status === 'completed' ? new Date(completedAt ?? Date.now()) : null,
    );
  }

  private async insertProjectIn(
    tx: Sql,
    record: RecordChange,
    s: ChangeScope,
    body: Omit<RestoreProjectInput, 'completedAt'>,
    completedAt: Date | null,
  ): Promise<ProjectDto> {
    const { currency: orgCurrency } = await this.tenancy.organizations.bookSettings(tx);
    const fields: store.ProjectFields = {
      name: body.name,
      description: body.description ?? '',
      status: body.status ?? 'planning',
      client_id: body.clientId ?? null,
      owner_id: body.ownerId ?? null,
      department_id: body.departmentId ?? null,
      tags: body.tags ?? [],
      budget_minor: body.budgetMinor ?? null,
      currency: body.currency ?? orgCurrency,
      start_date: body.startDate ?? null,
      due_date: body.dueDate ?? null,
      progress_override: body.progressOverride ?? null,
    };
    await this.checkProject(tx, fields, body, orgCurrency);
    const id = newId();
    await store.insertProject(tx, s.orgId, id, fields, completedAt);
    const row = await store.getProject(tx, id);
    if (!row) throw notFound('project');
    await record({
      action: 'project.create',
      resourceType: 'project',
      resourceId: id,
      events: [{ type: 'project.created', payload: { id } }],
      changes: diff(null, row, store.PROJECT_EDITABLE),
    });
    return projectToDto(row);
  }

  /** The rules a project's fields must meet; `given` says which fields the caller sent. */
  private async checkProject(
    tx: Sql,
    f: store.ProjectFields,
    given: UpdateProjectInput,
    orgCurrency: string,
  ): Promise<void> {
    if (given.currency !== undefined) assertOrgCurrency('currency', f.currency, orgCurrency);
    if (f.start_date && f.due_date && f.due_date < f.start_date) {
      throw invalidField(
        'dueDate',
        'notBeforeStart',
        WORK.dueBeforeStart({ due: { day: f.due_date }, start: { day: f.start_date } }),
      );
    }
    if (given.clientId && !(await this.clients.exists(tx, given.clientId))) {
      throw invalidField('clientId', 'exists', COMMON.noSuch({ what: resourceName('client') }));
    }
    if (given.ownerId && !(await this.tenancy.members.isMember(tx, given.ownerId))) {
      throw invalidField('ownerId', 'member', COMMON.ownerNotMember());
    }
    if (given.departmentId && !(await this.tenancy.departments.exists(tx, given.departmentId))) {
      throw invalidField('departmentId', 'exists', COMMON.noSuch({ what: resourceName('department') }));
    }
  }

  async updateProject(
    ctx: CallContext,
    id: string,
    body: UpdateProjectInput,
    expectedVersion?: number,
  ): Promise<ProjectDto> {
    return this.audit.change(ctx, async (tx, record) => {
      const before = await store.lockProject(tx, id);
      if (!before) throw notFound('project');
      assertVersion(before.version, expectedVersion, 'project');
      if (body.status !== undefined) assertProjectMove(before.status, body.status, ctx.principal.permissions);
      const fields: Partial<store.ProjectFields> = {};
      if (body.name !== undefined) fields.name = body.name;
      if (body.description !== undefined) fields.description = body.description;
      if (body.status !== undefined && body.status !== before.status) fields.status = body.status;
      if (body.clientId !== undefined) fields.client_id = body.clientId;
      if (body.ownerId !== undefined) fields.owner_id = body.ownerId;
      if (body.departmentId !== undefined) fields.department_id = body.departmentId;
      if (body.tags !== undefined) fields.tags = body.tags;
      if (body.budgetMinor !== undefined) fields.budget_minor = body.budgetMinor;
      if (body.currency !== undefined) fields.currency = body.currency;
      if (body.startDate !== undefined) fields.start_date = body.startDate;
      if (body.dueDate !== undefined) fields.due_date = body.dueDate;
      if (body.progressOverride !== undefined) fields.progress_override = body.progressOverride;
      const merged = { ...before, ...fields };
      const changes = diff(before, merged, store.PROJECT_EDITABLE);
      if (!changes) return projectToDto((await store.getProject(tx, id))!);
      const { currency: orgCurrency } = await this.tenancy.organizations.bookSettings(tx);
      await this.checkProject(tx, merged, body, orgCurrency);
      if (fields.currency && fields.currency !== before.currency && (await store.hasExpenses(tx, id))) {
        throw new AppError('conflict', WORK.currencyLockedByExpenses({ currency: before.currency }), {
          errors: [
            fieldError(
              'currency',
              'expensesInCurrency',
              WORK.currencyMustStay({ currency: before.currency }),
            ),
          ],
        });
      }
      await store.updateProject(tx, id, fields);
      await record({
        action: fields.status ? 'project.status_change' : 'project.update',
        resourceType: 'project',
        resourceId: id,
        events: [
          { type: 'project.updated', payload: { id, fields: changedFields(changes) } },
          ...(fields.status
            ? [
                {
                  type: 'project.status_changed' as const,
                  payload: { id, from: before.status, to: fields.status },
                },
              ]
            : []),
        ],
        changes,
      });
      return projectToDto((await store.getProject(tx, id))!);
    });
  }

  /** Deletes a project with its tasks and their attachments (files go after the commit). */
  async deleteProject(ctx: CallContext, id: string, expectedVersion?: number): Promise<void> {
    const s = tenantScope(ctx);
    const files = await this.audit.change(ctx, async (tx, record) => {
      const before = await store.lockProject(tx, id);
      if (!before) throw notFound('project');
      assertVersion(before.version, expectedVersion, 'project');
      // Lock the tasks first: an upload in flight (it locks its task) finishes before we count files.
      await lockTasksOf(tx, id);
      const files = await releaseAttachments(tx, this.tenancy, s.orgId, { projectId: id });
      await store.deleteProject(tx, id);
      await record({
        action: 'project.delete',
        resourceType: 'project',
        resourceId: id,
        events: [{ type: 'project.deleted', payload: { id } }],
        changes: diff(before, null, store.PROJECT_EDITABLE),
        metadata: files.length > 0 ? { attachmentsDeleted: files.length } : undefined,
      });
      return files;
    });
    await this.files.remove(s.orgId, files);
  }

  // ---- milestones ------------------------------------------------------------------------------

  async listMilestones(ctx: CallContext, projectId: string): Promise<MilestoneDto[]> {
    return this.db.transaction(tenantScope(ctx), async (tx) => {
      if (!(await store.projectExists(tx, projectId))) throw notFound('project');
      return (await store.listMilestones(tx, projectId)).map(milestoneToDto);
    });
  }

  async createMilestone(
    ctx: CallContext,
    projectId: string,
    body: CreateMilestoneInput,
  ): Promise<MilestoneDto> {
    return this.audit.change(ctx, async (tx, record, s) => {
      if (!(await store.projectExists(tx, projectId))) throw notFound('project');
      const row = await store.insertMilestone(tx, {
        orgId: s.orgId,
        id: newId(),
        projectId,
        name: body.name,
        dueDate: body.dueDate ?? null,
        done: body.done ?? false,
      });
      await record({
        action: 'milestone.create',
        resourceType: 'milestone',
        resourceId: row.id,
        events: [{ type: 'milestone.created', payload: { id: row.id, projectId } }],
        changes: diff(null, row, ['name', 'due_date', 'done_at']),
        metadata: { projectId },
      });
      return milestoneToDto(row);
    });
  }

  async updateMilestone(
    ctx: CallContext,
    projectId: string,
    id: string,
    body: UpdateMilestoneInput,
    expectedVersion?: number,
  ): Promise<MilestoneDto> {
    return this.audit.change(ctx, async (tx, record) => {
      const before = await store.getMilestone(tx, projectId, id);
      if (!before) throw notFound('milestone');
      assertVersion(before.version, expectedVersion, 'milestone');
      const unchanged =
        (body.name === undefined || body.name === before.name) &&
        (body.dueDate === undefined || body.dueDate === before.due_date) &&
        (body.done === undefined || body.done === (before.done_at !== null));
      if (unchanged) return milestoneToDto(before);
      const after = await store.updateMilestone(tx, id, body);
      const changes = diff(before, after, ['name', 'due_date', 'done_at']);
      if (changes) {
        await record({
          action: 'milestone.update',
          resourceType: 'milestone',
          resourceId: id,
          events: [{ type: 'milestone.updated', payload: { id, projectId, fields: changedFields(changes) } }],
          changes,
          metadata: { projectId },
        });
      }
      return milestoneToDto(after);
    });
  }

  async deleteMilestone(
    ctx: CallContext,
    projectId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<void> {
    await this.audit.change(ctx, async (tx, record) => {
      const before = await store.getMilestone(tx, projectId, id);
      if (!before) throw notFound('milestone');
      assertVersion(before.version, expectedVersion, 'milestone');
      await store.deleteMilestone(tx, id);
      await record({
        action: 'milestone.delete',
        resourceType: 'milestone',
        resourceId: id,
        events: [{ type: 'milestone.deleted', payload: { id, projectId } }],
        changes: diff(before, null, ['name', 'due_date', 'done_at']),
        metadata: { projectId },
      });
    });
  }

  // ---- expenses --------------------------------------------------------------------------------

  async listExpenses(ctx: CallContext, projectId: string): Promise<ExpenseDto[]> {
    return this.db.transaction(tenantScope(ctx), async (tx) => {
      if (!(await store.projectExists(tx, projectId))) throw notFound('project');
      return (await store.listExpenses(tx, projectId)).map(expenseToDto);
    });
  }

  async createExpense(ctx: CallContext, projectId: string, body: CreateExpenseInput): Promise<ExpenseDto> {
    return this.audit.change(ctx, async (tx, record, s) => {
      const project = await store.lockProject(tx, projectId);
      if (!project) throw notFound('project');
      // An expense is counted against the budget, so it must be in the project's currency.
      const currency = body.currency ?? project.currency;
      assertOrgCurrency('currency', currency, project.currency);
      const row = await store.insertExpense(tx, {
        orgId: s.orgId,
        id: newId(),
        projectId,
        spentOn: body.spentOn,
        amountMinor: body.amountMinor,
        currency,
        category: body.category,
        note: body.note ?? '',
        createdBy: s.userId,
      });
      await record({
        action: 'expense.create',
        resourceType: 'expense',
        resourceId: row.id,
        changes: diff(null, row, store.EXPENSE_EDITABLE),
        metadata: { projectId },
      });
      return expenseToDto(row);
    });
  }

  async updateExpense(
    ctx: CallContext,
    projectId: string,
    id: string,
    body: UpdateExpenseInput,
    expectedVersion?: number,
  ): Promise<ExpenseDto> {
    return this.audit.change(ctx, async (tx, record) => {
      const before = await store.getExpense(tx, projectId, id);
      if (!before) throw notFound('expense');
      assertVersion(before.version, expectedVersion, 'expense');
      const fields: Parameters<typeof store.updateExpense>[2] = {};
      if (body.spentOn !== undefined) fields.spent_on = body.spentOn;
      if (body.amountMinor !== undefined) fields.amount_minor = body.amountMinor;
      if (body.category !== undefined) fields.category = body.category;
      if (body.note !== undefined) fields.note = body.note;
      const changes = diff(before, { ...before, ...fields }, store.EXPENSE_EDITABLE);
      if (!changes) return expenseToDto(before);
      const after = await store.updateExpense(tx, id, fields);
      await record({
        action: 'expense.update',
        resourceType: 'expense',
        resourceId: id,
        changes,
        metadata: { projectId },
      });
      return expenseToDto(after);
    });
  }

  async deleteExpense(
    ctx: CallContext,
    projectId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<void> {
    await this.audit.change(ctx, async (tx, record) => {
      const before = await store.getExpense(tx, projectId, id);
      if (!before) throw notFound('expense');
      assertVersion(before.version, expectedVersion, 'expense');
      await store.deleteExpense(tx, id);
      await record({
        action: 'expense.delete',
        resourceType: 'expense',
        resourceId: id,
        changes: diff(before, null, store.EXPENSE_EDITABLE),
        metadata: { projectId },
      });
    });
  }
}
