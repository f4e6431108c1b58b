// Contracts of tasks and what hangs off them: comments, time entries, watchers, attachments.
import { type Static, Type } from 'typebox';
import { sortValues } from '../../platform/db/keyset-list.ts';
import {
  DateOnly,
  Name,
  Nullable,
  ResourceFields,
  StringEnum,
  Tags,
  Timestamp,
  Uuid,
} from '../../platform/http/common-schemas.ts';
import { PageQuery } from '../../platform/http/pagination.ts';
import { TASK_PRIORITIES, TASK_STATUSES } from './transitions.ts';

const TaskStatus = StringEnum(TASK_STATUSES, {
  description:
    'pending → active | completed | cancelled; active → pending | completed | cancelled; completed → active; cancelled → pending.',
});
const TaskPriority = StringEnum(TASK_PRIORITIES);

export const Task = Type.Object({
  ...ResourceFields,
  projectId: Uuid(),
  title: Type.String(),
  description: Type.String({ description: 'Markdown.' }),
  assigneeId: Nullable(Uuid('A member of the organization.')),
  priority: TaskPriority,
  status: TaskStatus,
  tags: Type.Array(Type.String()),
  dueDate: Nullable(Type.String({ format: 'date' })),
  estimateMinutes: Nullable(Type.Integer()),
  completedAt: Nullable(Timestamp('Set when the task is completed, cleared when it leaves completed.')),
  createdBy: Nullable(Uuid()),
});
export type TaskDto = Static<typeof Task>;

export const CreateTaskBody = Type.Object(
  {
    projectId: Uuid(),
    title: Name(300),
    description: Type.Optional(Type.String({ maxLength: 50000 })),
    assigneeId: Type.Optional(Nullable(Uuid())),
    priority: Type.Optional(TaskPriority),
    status: Type.Optional(TaskStatus),
    tags: Type.Optional(Tags),
    dueDate: Type.Optional(Nullable(DateOnly())),
    estimateMinutes: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 }))),
  },
  { additionalProperties: false },
);
export type CreateTaskInput = Static<typeof CreateTaskBody>;

/** Not an API body: a task as an import restores it from an export, a completed one with its completion time. */
export const RestoreTaskBody = Type.Object(
  {
    ...CreateTaskBody.properties,
    completedAt: Type.Optional(Timestamp('When a completed task was completed (now if absent).')),
  },
  { additionalProperties: false },
);
export type RestoreTaskInput = Static<typeof RestoreTaskBody>;

export const UpdateTaskBody = Type.Object(
  {
    projectId: Type.Optional(Uuid()),
    title: Type.Optional(Name(300)),
    description: Type.Optional(Type.String({ maxLength: 50000 })),
    assigneeId: Type.Optional(Nullable(Uuid())),
    priority: Type.Optional(TaskPriority),
    status: Type.Optional(TaskStatus),
    tags: Type.Optional(Tags),
    dueDate: Type.Optional(Nullable(DateOnly())),
    estimateMinutes: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 }))),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateTaskInput = Static<typeof UpdateTaskBody>;

/** What a member with only tasks:work may change on a task assigned to them. */
export const WORKER_EDITABLE: readonly (keyof UpdateTaskInput)[] = [
  'status',
  'description',
  'estimateMinutes',
];

export const TASK_SORTS = ['createdAt', 'updatedAt', 'dueDate', 'priority', 'title'] as const;

export const TaskListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(TaskStatus),
    priority: Type.Optional(TaskPriority),
    assigneeId: Type.Optional(Uuid()),
    projectId: Type.Optional(Uuid()),
    clientId: Type.Optional(Uuid("Tasks of this client's projects.")),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    dueBefore: Type.Optional(DateOnly('Due on or before this day.')),
    dueAfter: Type.Optional(DateOnly('Due on or after this day.')),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Full-text search in title and description.',
      }),
    ),
    sort: Type.Optional(
      StringEnum(sortValues(TASK_SORTS), { default: '-createdAt', description: 'Prefix - for descending.' }),
    ),
  },
  { additionalProperties: false },
);
export type TaskListQueryType = Static<typeof TaskListQuery>;

// ---- comments ----------------------------------------------------------------------------------

export const Comment = Type.Object({
  ...ResourceFields,
  taskId: Uuid(),
  authorId: Nullable(Uuid()),
  authorName: Nullable(Type.String()),
  body: Type.String({ description: 'Markdown.' }),
});
export type CommentDto = Static<typeof Comment>;

export const CommentBody = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: 20000 }) },
  { additionalProperties: false },
);

// ---- time entries ------------------------------------------------------------------------------

export const TimeEntry = Type.Object({
  ...ResourceFields,
  taskId: Uuid(),
  userId: Nullable(Uuid()),
  spentOn: Type.String({ format: 'date' }),
  minutes: Type.Integer(),
  note: Type.String(),
});
export type TimeEntryDto = Static<typeof TimeEntry>;

export const CreateTimeEntryBody = Type.Object(
  {
    spentOn: DateOnly('The day the work was done.'),
    minutes: Type.Integer({ minimum: 1, maximum: 1440 }),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    userId: Type.Optional(Uuid('Who did the work (default: me; someone else needs tasks:manage).')),
  },
  { additionalProperties: false },
);
export type CreateTimeEntryInput = Static<typeof CreateTimeEntryBody>;

export const TimeEntryList = Type.Object({
  items: Type.Array(TimeEntry),
  nextCursor: Type.Null(),
  totalMinutes: Type.Integer(),
  estimateMinutes: Nullable(Type.Integer()),
});

// ---- watchers ----------------------------------------------------------------------------------

export const Watcher = Type.Object({ userId: Uuid(), name: Nullable(Type.String()), since: Timestamp() });
export type WatcherDto = Static<typeof Watcher>;

// ---- attachments -------------------------------------------------------------------------------

export const Attachment = Type.Object({
  ...ResourceFields,
  taskId: Uuid(),
  fileName: Type.String(),
  contentType: Type.String(),
  sizeBytes: Type.Integer(),
  sha256: Type.String({ description: 'SHA-256 of the content, hex.' }),
  uploadedBy: Nullable(Uuid()),
});
export type AttachmentDto = Static<typeof Attachment>;

export const TaskChildParams = Type.Object({ id: Uuid(), childId: Uuid() }, { additionalProperties: false });
export const TaskWatcherParams = Type.Object({ id: Uuid(), userId: Uuid() }, { additionalProperties: false });
