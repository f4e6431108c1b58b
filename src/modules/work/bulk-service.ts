// Bulk import and export of clients, projects and tasks.
//
// Export: every row matching a list's filters, streamed from a server-side cursor into a sink the
// route provides (CSV, XLSX or JSON writer), so memory stays flat however many rows there are.
//
// Import: a CSV/XLSX table is checked cell by cell (platform/import/row-validation.ts), people are
// named by e-mail and clients/projects by name, then every row goes through the same create rules
// as the API inside ONE transaction. Any bad row → nothing is stored and every problem is listed
// as { row, column, message }. A dry run does all of it and rolls back.

import { copyOut, inlineParams } from '../../platform/db/copy-out.ts';
import { streamRows } from '../../platform/db/query-stream.ts';
import type { Db, Sql } from '../../platform/db/transaction.ts';
import { AppError, type FieldError } from '../../platform/errors.ts';
import type { ExportColumn, ExportFormat, ExportSource } from '../../platform/export/send-export.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { schemaErrors } from '../../platform/http/validation.ts';
import type { Table } from '../../platform/import/read-table.ts';
import {
  col,
  importInvalid,
  normalizeHeader,
  type RecordOf,
  type RowError,
  type TableSpec,
  validateRows,
} from '../../platform/import/row-validation.ts';
import { currencyDigits, majorText } from '../../platform/money/currency.ts';
import type { AuditService, ChangeScope, RecordChange } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { type ClientListQueryType, CreateClientBody, type CreateClientInput } from './client-schemas.ts';
import type { ClientService } from './client-service.ts';
import * as clientStore from './client-store.ts';
import {
  type ProjectListQueryType,
  RestoreProjectBody,
  type RestoreProjectInput,
} from './project-schemas.ts';
import { type ProjectService, projectProgress } from './project-service.ts';
import * as projectStore from './project-store.ts';
import { RestoreTaskBody, type RestoreTaskInput, type TaskListQueryType } from './task-schemas.ts';
import type { TaskService } from './task-service.ts';
import * as taskStore from './task-store.ts';
import { CLIENT_STATUSES, PROJECT_STATUSES, TASK_PRIORITIES, TASK_STATUSES } from './transitions.ts';

/** Receives what an export is made of (the route writes it out in `format`); resolves when done. */
export interface ExportSink {
  format: ExportFormat;
  send(source: ExportSource): Promise<unknown>;
}

type Filters<Q> = Omit<Q, 'limit' | 'cursor' | 'sort'>;

export interface ImportReport {
  dryRun: boolean;
  rowCount: number;
  created: number;
  valid: boolean;
  errorCount: number;
  rowErrors: RowError[];
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d);
const list = (tags: unknown) => (Array.isArray(tags) ? tags.join(', ') : '');

const major = (minor: unknown, currency: string) =>
  typeof minor === 'number' ? majorText(minor, currency) : null;

// ---- export columns (imports accept them back: columns an import does not use are ignored) ----

export const CLIENT_EXPORT_COLUMNS: ExportColumn[] = [
  { key: 'id', header: 'id' },
  { key: 'name', header: 'name' },
  { key: 'status', header: 'status' },
  { key: 'ownerEmail', header: 'ownerEmail' },
  { key: 'email', header: 'email' },
  { key: 'phone', header: 'phone' },
  { key: 'website', header: 'website' },
  { key: 'notes', header: 'notes' },
  { key: 'tags', header: 'tags' },
  { key: 'leadAt', header: 'leadAt', type: 'timestamp' },
  { key: 'activeAt', header: 'activeAt', type: 'timestamp' },
  { key: 'churnedAt', header: 'churnedAt', type: 'timestamp' },
  { key: 'createdAt', header: 'createdAt', type: 'timestamp' },
  { key: 'updatedAt', header: 'updatedAt', type: 'timestamp' },
];

export const PROJECT_EXPORT_COLUMNS: ExportColumn[] = [
  { key: 'id', header: 'id' },
  { key: 'name', header: 'name' },
  { key: 'description', header: 'description' },
  { key: 'status', header: 'status' },
  { key: 'client', header: 'client' },
  { key: 'ownerEmail', header: 'ownerEmail' },
  { key: 'budget', header: 'budget', type: 'money' },
  { key: 'spent', header: 'spent', type: 'money' },
  { key: 'currency', header: 'currency' },
  { key: 'startDate', header: 'startDate', type: 'date' },
  { key: 'dueDate', header: 'dueDate', type: 'date' },
  { key: 'tags', header: 'tags' },
  { key: 'tasks', header: 'tasks' },
  { key: 'tasksCompleted', header: 'tasksCompleted' },
  { key: 'progress', header: 'progress' },
  { key: 'progressOverride', header: 'progressOverride' },
  { key: 'completedAt', header: 'completedAt', type: 'timestamp' },
  { key: 'createdAt', header: 'createdAt', type: 'timestamp' },
];

export const TASK_EXPORT_COLUMNS: ExportColumn[] = [
  { key: 'id', header: 'id' },
  { key: 'project', header: 'project' },
  { key: 'title', header: 'title' },
  { key: 'description', header: 'description' },
  { key: 'assigneeEmail', header: 'assigneeEmail' },
  { key: 'priority', header: 'priority' },
  { key: 'status', header: 'status' },
  { key: 'dueDate', header: 'dueDate', type: 'date' },
  { key: 'estimateMinutes', header: 'estimateMinutes' },
  { key: 'tags', header: 'tags' },
  { key: 'completedAt', header: 'completedAt', type: 'timestamp' },
  { key: 'createdAt', header: 'createdAt', type: 'timestamp' },
];

/** Spec entries for export columns an import ignores. */
function ignored(columns: ExportColumn[], used: TableSpec): TableSpec {
  return Object.fromEntries(columns.filter((c) => !(c.key in used)).map((c) => [c.key, col.text()]));
}

// ---- import specs ---------------------------------------------------------------------------------

const clientSpec = {
  name: col.text({ required: true, maxLength: 200 }),
  status: col.enum(CLIENT_STATUSES),
  ownerEmail: col.email(),
  email: col.email(),
  phone: col.text({ maxLength: 40 }),
  website: col.text({ maxLength: 500 }),
  notes: col.text({ maxLength: 20000 }),
  tags: col.tags({ maxItems: 30, maxLength: 50 }),
} satisfies TableSpec;

const projectSpec = (digits: number) =>
  ({
    name: col.text({ required: true, maxLength: 200 }),
    description: col.text({ maxLength: 50000 }),
    // every status an export holds: an import restores projects as they were (see restoreProjectIn)
    status: col.enum(PROJECT_STATUSES),
    client: col.text({ maxLength: 200 }),
    ownerEmail: col.email(),
    budget: col.money({ digits }),
    currency: col.text({ maxLength: 3 }),
    startDate: col.date(),
    dueDate: col.date(),
    tags: col.tags({ maxItems: 30, maxLength: 50 }),
    progressOverride: col.integer({ min: 0, max: 100 }),
    completedAt: col.timestamp(),
  }) satisfies TableSpec;

const taskSpec = {
  project: col.text({ required: true, maxLength: 200 }),
  title: col.text({ required: true, maxLength: 300 }),
  description: col.text({ maxLength: 50000 }),
  assigneeEmail: col.email(),
  priority: col.enum(TASK_PRIORITIES),
  status: col.enum(TASK_STATUSES),
  dueDate: col.date(),
  estimateMinutes: col.integer({ min: 0, max: 1_000_000 }),
  tags: col.tags({ maxItems: 30, maxLength: 50 }),
  completedAt: col.timestamp(),
} satisfies TableSpec;

/** API field → import column, for errors the create rules report. */
const COLUMN_OF_FIELD: Record<string, string> = {
  ownerId: 'ownerEmail',
  clientId: 'client',
  projectId: 'project',
  assigneeId: 'assigneeEmail',
  budgetMinor: 'budget',
};

class ImportRollback extends Error {}

interface Prepared<I> {
  row: number;
  input: I;
}

export class BulkService {
  private readonly db: Db;
  private readonly audit: AuditService;
  private readonly tenancy: TenancyService;
  private readonly clients: ClientService;
  private readonly projects: ProjectService;
  private readonly tasks: TaskService;

  constructor(deps: {
    db: Db;
    audit: AuditService;
    tenancy: TenancyService;
    clients: ClientService;
    projects: ProjectService;
    tasks: TaskService;
  }) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.tenancy = deps.tenancy;
    this.clients = deps.clients;
    this.projects = deps.projects;
    this.tasks = deps.tasks;
  }

  // ---- export ----------------------------------------------------------------------------------

  async exportClients(ctx: CallContext, q: Filters<ClientListQueryType>, sink: ExportSink): Promise<unknown> {
    await this.audit.recordExport(ctx, { resource: 'clients', format: sink.format, filters: q });
    const { text, values } = clientStore.clientExportQuery(q);
    return this.db.transaction(tenantScope(ctx), (tx) =>
      sink.send({
        rows: mapRows(streamRows<Record<string, unknown>>(tx, text, values), (r) => ({
          id: r.id,
          name: r.name,
          status: r.status,
          ownerEmail: r.owner_email,
          email: r.email,
          phone: r.phone,
          website: r.website,
          notes: r.notes,
          tags: list(r.tags),
          leadAt: iso(r.lead_at),
          activeAt: iso(r.active_at),
          churnedAt: iso(r.churned_at),
          createdAt: iso(r.created_at),
          updatedAt: iso(r.updated_at),
        })),
      }),
    );
  }

  async exportProjects(
    ctx: CallContext,
    q: Filters<ProjectListQueryType>,
    sink: ExportSink,
  ): Promise<unknown> {
    await this.audit.recordExport(ctx, { resource: 'projects', format: sink.format, filters: q });
    const { text, values } = projectStore.projectExportQuery(q);
    return this.db.transaction(tenantScope(ctx), (tx) =>
      sink.send({
        rows: mapRows(streamRows<Record<string, unknown>>(tx, text, values), (r) => ({
          id: r.id,
          name: r.name,
          description: r.description,
          status: r.status,
          client: r.client_name,
          ownerEmail: r.owner_email,
          budget: major(r.budget_minor, String(r.currency)),
          spent: major(r.spent_minor, String(r.currency)),
          currency: r.currency,
          startDate: r.start_date,
          dueDate: r.due_date,
          tags: list(r.tags),
          tasks: r.tasks_total,
          tasksCompleted: r.tasks_completed,
          progress: projectProgress(r as unknown as projectStore.ProjectWithFigures),
          progressOverride: r.progress_override,
          completedAt: iso(r.completed_at),
          createdAt: iso(r.created_at),
        })),
      }),
    );
  }

  async exportTasks(ctx: CallContext, q: Filters<TaskListQueryType>, sink: ExportSink): Promise<unknown> {
    await this.audit.recordExport(ctx, { resource: 'tasks', format: sink.format, filters: q });
    if (sink.format === 'csv') {
      // Tasks are the large export (a million rows is ordinary): PostgreSQL writes the CSV with
      // COPY and the bytes go straight to the response, so memory stays flat however many rows.
      const { text, values } = taskStore.taskCsvExportQuery(q);
      return this.db.transaction(tenantScope(ctx), (tx) =>
        sink.send({ csvRecords: copyOut(tx, inlineParams(tx, text, values), { recordEnd: '\r\n' }) }),
      );
    }
    const { text, values } = taskStore.taskExportQuery(q);
    return this.db.transaction(tenantScope(ctx), (tx) =>
      sink.send({
        rows: mapRows(streamRows<Record<string, unknown>>(tx, text, values), (r) => ({
          id: r.id,
          project: r.project_name,
          title: r.title,
          description: r.description,
          assigneeEmail: r.assignee_email,
          priority: r.priority,
          status: r.status,
          dueDate: r.due_date,
          estimateMinutes: r.estimate_minutes,
          tags: list(r.tags),
          completedAt: iso(r.completed_at),
          createdAt: iso(r.created_at),
        })),
      }),
    );
  }

  // ---- import ----------------------------------------------------------------------------------

  importClients(ctx: CallContext, table: Table, opts: { dryRun: boolean }): Promise<ImportReport> {
    const spec = { ...clientSpec, ...ignored(CLIENT_EXPORT_COLUMNS, clientSpec) };
    return this.runImport(ctx, 'client', table, opts, {
      validate: () => validateRows(table, spec),
      prepare: async (tx, records, fail) => {
        const people = await this.tenancy.members.userIdsByEmail(tx, emails(records, 'ownerEmail'));
        return records.flatMap(({ row, value: v }) => {
          const ownerId = v.ownerEmail ? people.get(v.ownerEmail.toLowerCase()) : undefined;
          if (v.ownerEmail && !ownerId)
            return fail(row, 'ownerEmail', 'is not a member of this organization');
          const input: CreateClientInput = {
            name: v.name,
            ...(v.status ? { status: v.status } : {}),
            ...(ownerId ? { ownerId } : {}),
            ...(v.email ? { email: v.email } : {}),
            ...(v.phone ? { phone: v.phone } : {}),
            ...(v.website ? { website: v.website } : {}),
            ...(v.notes ? { notes: v.notes } : {}),
            tags: v.tags,
          };
          return [{ row, input }];
        });
      },
      schema: CreateClientBody,
      create: (tx, input, record, s) => this.clients.createClientIn(tx, record, s, input),
    });
  }

  async importProjects(ctx: CallContext, table: Table, opts: { dryRun: boolean }): Promise<ImportReport> {
    const orgCurrency = await this.db.transaction(
      tenantScope(ctx),
      async (tx) => (await this.tenancy.organizations.bookSettings(tx)).currency,
    );
    const base = projectSpec(currencyDigits(orgCurrency));
    const spec = { ...base, ...ignored(PROJECT_EXPORT_COLUMNS, base) };
    return this.runImport(ctx, 'project', table, opts, {
      validate: () =>
        validateRows(table, spec, {
          refine: (v) => [
            ...(v.startDate && v.dueDate && v.dueDate < v.startDate
              ? [{ column: 'dueDate', message: `is before the start date ${v.startDate}` }]
              : []),
            ...completedOnly(v.completedAt, v.status ?? 'planning', 'project'),
          ],
        }),
      prepare: async (tx, records, fail) => {
        const people = await this.tenancy.members.userIdsByEmail(tx, emails(records, 'ownerEmail'));
        const clients = await clientStore.clientIdsByName(
          tx,
          records.flatMap((r) => (r.value.client ? [r.value.client] : [])),
        );
        return records.flatMap(({ row, value: v }) => {
          const ownerId = v.ownerEmail ? people.get(v.ownerEmail.toLowerCase()) : undefined;
          if (v.ownerEmail && !ownerId)
            return fail(row, 'ownerEmail', 'is not a member of this organization');
          const clientIds = v.client ? (clients.get(v.client.toLowerCase()) ?? []) : [];
          if (v.client && clientIds.length === 0)
            return fail(row, 'client', `no client is called "${v.client}"`);
          if (clientIds.length > 1)
            return fail(row, 'client', `${clientIds.length} clients are called "${v.client}"`);
          const input: RestoreProjectInput = {
            name: v.name,
            ...(v.description ? { description: v.description } : {}),
            ...(v.status ? { status: v.status } : {}),
            ...(clientIds[0] ? { clientId: clientIds[0] } : {}),
            ...(ownerId ? { ownerId } : {}),
            ...(v.budget !== null ? { budgetMinor: v.budget } : {}),
            ...(v.currency ? { currency: v.currency.toUpperCase() } : {}),
            ...(v.startDate ? { startDate: v.startDate } : {}),
            ...(v.dueDate ? { dueDate: v.dueDate } : {}),
            ...(v.progressOverride !== null ? { progressOverride: v.progressOverride } : {}),
            ...(v.completedAt ? { completedAt: v.completedAt } : {}),
            tags: v.tags,
          };
          return [{ row, input }];
        });
      },
      schema: RestoreProjectBody,
      create: (tx, input, record, s) => this.projects.restoreProjectIn(tx, record, s, input),
    });
  }

  importTasks(ctx: CallContext, table: Table, opts: { dryRun: boolean }): Promise<ImportReport> {
    const spec = { ...taskSpec, ...ignored(TASK_EXPORT_COLUMNS, taskSpec) };
    return this.runImport(ctx, 'task', table, opts, {
      validate: () =>
        validateRows(table, spec, {
          refine: (v) => completedOnly(v.completedAt, v.status ?? 'pending', 'task'),
        }),
      prepare: async (tx, records, fail) => {
        const people = await this.tenancy.members.userIdsByEmail(tx, emails(records, 'assigneeEmail'));
        const projects = await projectStore.projectIdsByName(
          tx,
          records.map((r) => r.value.project),
        );
        return records.flatMap(({ row, value: v }) => {
          const assigneeId = v.assigneeEmail ? people.get(v.assigneeEmail.toLowerCase()) : undefined;
          if (v.assigneeEmail && !assigneeId) {
            return fail(row, 'assigneeEmail', 'is not a member of this organization');
          }
          const projectIds = projects.get(v.project.toLowerCase()) ?? [];
          if (projectIds.length === 0) return fail(row, 'project', `no project is called "${v.project}"`);
          if (projectIds.length > 1) {
            return fail(row, 'project', `${projectIds.length} projects are called "${v.project}"`);
          }
          const input: RestoreTaskInput = {
            projectId: projectIds[0]!,
            title: v.title,
            ...(v.description ? { description: v.description } : {}),
            ...(assigneeId ? { assigneeId } : {}),
            ...(v.priority ? { priority: v.priority } : {}),
            ...(v.status ? { status: v.status } : {}),
            ...(v.dueDate ? { dueDate: v.dueDate } : {}),
            ...(v.estimateMinutes !== null ? { estimateMinutes: v.estimateMinutes } : {}),
            ...(v.completedAt ? { completedAt: v.completedAt } : {}),
            tags: v.tags,
          };
          return [{ row, input }];
        });
      },
      schema: RestoreTaskBody,
      create: (tx, input, _record, s) => this.tasks.restoreTaskIn(tx, s, input),
    });
  }

  /**
   * The shared import procedure: cell checks, reference resolution, the API's own schema and
   * create rules, all rows in one transaction; committed only when no row has a problem.
   */
  private async runImport<S extends TableSpec, I>(
    ctx: CallContext,
    kind: 'client' | 'project' | 'task',
    table: Table,
    opts: { dryRun: boolean },
    steps: {
      validate: () => ReturnType<typeof validateRows<S>>;
      prepare: (
        tx: Sql,
        records: { row: number; value: RecordOf<S> }[],
        fail: (row: number, column: string, message: string) => [],
      ) => Promise<Prepared<I>[]>;
      schema: object;
      /** Creates one row in the import's change. */
      create: (tx: Sql, input: I, record: RecordChange, s: ChangeScope) => Promise<unknown>;
    },
  ): Promise<ImportReport> {
    const header = headerLookup(table);
    const report: ImportReport = {
      dryRun: opts.dryRun,
      rowCount: table.rows.length,
      created: 0,
      valid: true,
      errorCount: 0,
      rowErrors: [],
    };
    const fail = (row: number, column: string, message: string): [] => {
      report.errorCount++;
      if (report.rowErrors.length < 1000) report.rowErrors.push({ row, column: header(column), message });
      return [];
    };
    // Cell errors first; the rows whose cells passed are still checked against names and rules,
    // so one report lists every problem of the file.
    const checked = steps.validate();
    if (!checked.ok) {
      report.errorCount = checked.errorCount;
      report.rowErrors = checked.errors;
    }
    try {
      await this.audit.change(ctx, async (tx, record, s) => {
        const prepared = await steps.prepare(tx, checked.records, fail);
        for (const { row, input } of prepared) {
          const problems = schemaErrors(steps.schema, input);
          if (problems.length > 0) {
            for (const p of problems) fail(row, COLUMN_OF_FIELD[p.field] ?? p.field, p.message);
            continue;
          }
          try {
            await steps.create(tx, input, record, s);
            report.created++;
          } catch (err) {
            // Rule checks run before anything is written, so the transaction can go on.
            if (!(err instanceof AppError) || err.code === 'internal') throw err;
            const fields: FieldError[] = err.errors ?? [
              { field: '(row)', rule: err.code, message: err.message },
            ];
            for (const f of fields) fail(row, COLUMN_OF_FIELD[f.field] ?? f.field, f.message);
          }
        }
        report.rowErrors.sort((a, b) => a.row - b.row);
        if (report.errorCount > 0 || opts.dryRun) throw new ImportRollback();
        await record({
          action: `${kind}.import`,
          resourceType: kind,
          metadata: { rows: report.rowCount, created: report.created },
        });
      });
    } catch (err) {
      if (!(err instanceof ImportRollback)) throw err;
    }
    return this.finish(report);
  }

  /** Valid: the report (a dry run's `created` says what a commit would create). Invalid: 422 unless a dry run. */
  private finish(report: ImportReport): ImportReport {
    report.valid = report.errorCount === 0;
    if (!report.valid) {
      report.created = 0;
      if (!report.dryRun) throw importInvalid({ errors: report.rowErrors, errorCount: report.errorCount });
    }
    return report;
  }
}

/** The row error of a completion time on a row whose status is not completed. */
function completedOnly(completedAt: string | null, status: string, what: string) {
  return completedAt && status !== 'completed'
    ? [
        {
          column: 'completedAt',
          message: `must be empty: only a completed ${what} has a completion time (the status is ${status})`,
        },
      ]
    : [];
}

/** The file's own header for a spec key (errors name columns as the file does). */
function headerLookup(table: Table): (key: string) => string {
  const byNormal = new Map(table.columns.map((c) => [normalizeHeader(c), c]));
  return (key) => byNormal.get(normalizeHeader(key)) ?? key;
}

function emails<S extends TableSpec>(records: { value: RecordOf<S> }[], key: keyof RecordOf<S>): string[] {
  return records.flatMap((r) => {
    const v = r.value[key];
    return typeof v === 'string' ? [v] : [];
  });
}

async function* mapRows<T>(
  rows: AsyncIterable<Record<string, unknown>>,
  map: (row: Record<string, unknown>) => T,
): AsyncGenerator<T> {
  for await (const row of rows) yield map(row);
}
