// Contracts of projects, their milestones and expenses.
import { type Static, Type } from 'typebox';
import { sortValues } from '../../platform/db/keyset-list.ts';
import {
  CurrencyCode,
  DateOnly,
  MinorAmount,
  Name,
  Nullable,
  ResourceFields,
  StringEnum,
  Tags,
  Timestamp,
  Uuid,
} from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';
import { PROJECT_STATUSES } from './transitions.ts';

const ProjectStatus = StringEnum(PROJECT_STATUSES, {
  description: 'Moves follow the table in docs/work-statuses.md; others get 409 `invalid-transition`.',
});

export const Project = Type.Object({
  ...ResourceFields,
  name: Type.String(),
  description: Type.String({ description: 'Markdown.' }),
  status: ProjectStatus,
  clientId: Nullable(Uuid()),
  ownerId: Nullable(Uuid('The member responsible for the project.')),
  departmentId: Nullable(Uuid()),
  tags: Type.Array(Type.String()),
  budgetMinor: Nullable(Type.Integer({ description: 'Budget in minor units of `currency`.' })),
  currency: Type.String(),
  spentMinor: Type.Integer({ description: 'Sum of the expenses.' }),
  remainingMinor: Nullable(
    Type.Integer({ description: 'budgetMinor − spentMinor (negative when over budget).' }),
  ),
  startDate: Nullable(Type.String({ format: 'date' })),
  dueDate: Nullable(Type.String({ format: 'date' })),
  progress: Type.Integer({
    minimum: 0,
    maximum: 100,
    description:
      'progressOverride when set; otherwise completed tasks ÷ (all tasks − cancelled) × 100, rounded down (0 without tasks).',
  }),
  progressOverride: Nullable(Type.Integer({ minimum: 0, maximum: 100 })),
  taskCounts: Type.Object({
    total: Type.Integer(),
    pending: Type.Integer(),
    active: Type.Integer(),
    completed: Type.Integer(),
    cancelled: Type.Integer(),
  }),
  completedAt: Nullable(Timestamp('Set when the project moves to completed, cleared when reopened.')),
});
export type ProjectDto = Static<typeof Project>;

const projectFields = {
  name: Name(200),
  description: Type.Optional(Type.String({ maxLength: 50000 })),
  clientId: Type.Optional(Nullable(Uuid())),
  ownerId: Type.Optional(Nullable(Uuid())),
  departmentId: Type.Optional(Nullable(Uuid())),
  tags: Type.Optional(Tags),
  budgetMinor: Type.Optional(Nullable(MinorAmount('Budget in minor units (e.g. cents); not negative.'))),
  currency: Type.Optional(CurrencyCode),
  startDate: Type.Optional(Nullable(DateOnly())),
  dueDate: Type.Optional(Nullable(DateOnly('Not before startDate.'))),
  progressOverride: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 0,
        maximum: 100,
        description: 'Manual progress; null to compute it from tasks.',
      }),
    ),
  ),
};

export const CreateProjectBody = Type.Object(
  {
    ...projectFields,
    status: Type.Optional(
      StringEnum(['planning', 'active'] as const, { description: 'A project starts in planning or active.' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateProjectInput = Static<typeof CreateProjectBody>;

/**
 * Not an API body: a project as an import restores it from an export (bulk-service.ts), in any
 * status, a completed one with its completion time.
 */
export const RestoreProjectBody = Type.Object(
  {
    ...projectFields,
    status: Type.Optional(ProjectStatus),
    completedAt: Type.Optional(Timestamp('When a completed project was completed (now if absent).')),
  },
  { additionalProperties: false },
);
export type RestoreProjectInput = Static<typeof RestoreProjectBody>;

export const UpdateProjectBody = Type.Object(
  { ...projectFields, name: Type.Optional(projectFields.name), status: Type.Optional(ProjectStatus) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateProjectInput = Static<typeof UpdateProjectBody>;

export const PROJECT_SORTS = ['createdAt', 'updatedAt', 'name', 'dueDate'] as const;

export const ProjectListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(ProjectStatus),
    clientId: Type.Optional(Uuid()),
    ownerId: Type.Optional(Uuid()),
    departmentId: Type.Optional(Uuid()),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    dueBefore: Type.Optional(DateOnly('Due on or before this day.')),
    dueAfter: Type.Optional(DateOnly('Due on or after this day.')),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Full-text search in name and description.' }),
    ),
    sort: Type.Optional(
      StringEnum(sortValues(PROJECT_SORTS), {
        default: '-createdAt',
        description: 'Prefix - for descending.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ProjectListQueryType = Static<typeof ProjectListQuery>;

// ---- milestones --------------------------------------------------------------------------------

export const Milestone = Type.Object({
  ...ResourceFields,
  projectId: Uuid(),
  name: Type.String(),
  dueDate: Nullable(Type.String({ format: 'date' })),
  done: Type.Boolean(),
  doneAt: Nullable(Timestamp()),
});
export type MilestoneDto = Static<typeof Milestone>;

export const CreateMilestoneBody = Type.Object(
  {
    name: Name(200),
    dueDate: Type.Optional(Nullable(DateOnly())),
    done: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CreateMilestoneInput = Static<typeof CreateMilestoneBody>;

export const UpdateMilestoneBody = Type.Object(
  {
    name: Type.Optional(Name(200)),
    dueDate: Type.Optional(Nullable(DateOnly())),
    done: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateMilestoneInput = Static<typeof UpdateMilestoneBody>;

// ---- expenses ----------------------------------------------------------------------------------

export const Expense = Type.Object({
  ...ResourceFields,
  projectId: Uuid(),
  spentOn: Type.String({ format: 'date' }),
  amountMinor: Type.Integer(),
  currency: Type.String(),
  category: Type.String(),
  note: Type.String(),
  createdBy: Nullable(Uuid()),
});
export type ExpenseDto = Static<typeof Expense>;

export const CreateExpenseBody = Type.Object(
  {
    spentOn: DateOnly(),
    amountMinor: Type.Integer({
      minimum: 1,
      maximum: 900_000_000_000_000,
      description: 'Positive, minor units.',
    }),
    currency: Type.Optional(CurrencyCode),
    category: Name(100),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type CreateExpenseInput = Static<typeof CreateExpenseBody>;

export const UpdateExpenseBody = Type.Object(
  {
    spentOn: Type.Optional(DateOnly()),
    amountMinor: Type.Optional(Type.Integer({ minimum: 1, maximum: 900_000_000_000_000 })),
    category: Type.Optional(Name(100)),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateExpenseInput = Static<typeof UpdateExpenseBody>;

export const ProjectChildParams = Type.Object(
  { id: Uuid(), childId: Uuid() },
  { additionalProperties: false },
);
