// The status machines of work resources: which moves are allowed, and which permission each
// move needs. An illegal move is refused with 409 `invalid-transition` listing the allowed ones.
// The project table is documented in docs/work-statuses.md (generated from this file).
import { AppError } from '../../platform/errors.ts';
import type { Permission } from '../../platform/http/permissions.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import { type ResourceName, resourceName } from '../../platform/i18n/resource-names.ts';
import { WORK } from './messages.ts';

export const CLIENT_STATUSES = ['lead', 'active', 'churned'] as const;
export type ClientStatus = (typeof CLIENT_STATUSES)[number];

export const PROJECT_STATUSES = ['planning', 'active', 'on_hold', 'completed', 'cancelled'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export const TASK_STATUSES = ['pending', 'active', 'completed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

interface Move<S extends string> {
  to: S;
  permission: Permission;
  note: string;
}

/** Client lifecycle: a lead becomes active or is lost; an active client churns; a churned one can come back. */
export const CLIENT_MOVES: Record<ClientStatus, Move<ClientStatus>[]> = {
  lead: [
    { to: 'active', permission: 'clients:manage', note: 'the lead signs' },
    { to: 'churned', permission: 'clients:manage', note: 'the lead is lost' },
  ],
  active: [{ to: 'churned', permission: 'clients:manage', note: 'the client leaves' }],
  churned: [{ to: 'active', permission: 'clients:manage', note: 'the client is won back' }],
};

/** Project lifecycle. Reopening a finished (completed or cancelled) project takes `projects:reopen`. */
export const PROJECT_MOVES: Record<ProjectStatus, Move<ProjectStatus>[]> = {
  planning: [
    { to: 'active', permission: 'projects:manage', note: 'work starts' },
    { to: 'on_hold', permission: 'projects:manage', note: 'parked before it starts' },
    { to: 'cancelled', permission: 'projects:manage', note: 'dropped before it starts' },
  ],
  active: [
    { to: 'on_hold', permission: 'projects:manage', note: 'paused' },
    { to: 'completed', permission: 'projects:manage', note: 'delivered' },
    { to: 'cancelled', permission: 'projects:manage', note: 'stopped' },
  ],
  on_hold: [
    { to: 'active', permission: 'projects:manage', note: 'resumed' },
    { to: 'cancelled', permission: 'projects:manage', note: 'stopped' },
  ],
  completed: [{ to: 'active', permission: 'projects:reopen', note: 'reopened (clears completedAt)' }],
  cancelled: [{ to: 'planning', permission: 'projects:reopen', note: 'revived' }],
};

/**
 * Task lifecycle. Anyone who may change the task (tasks:manage, or tasks:work on a task assigned to
 * them) may make these moves; completing sets completedAt, leaving completed clears it.
 */
export const TASK_MOVES: Record<TaskStatus, TaskStatus[]> = {
  pending: ['active', 'completed', 'cancelled'],
  active: ['pending', 'completed', 'cancelled'],
  completed: ['active'],
  cancelled: ['pending'],
};

function refuse(what: ResourceName, from: string, to: string, allowed: string[]): never {
  const params = { what: resourceName(what), from, to, allowed: allowed.join(', ') };
  throw new AppError(
    'invalid-transition',
    allowed.length ? COMMON.invalidMove(params) : COMMON.invalidMoveNowhere(params),
    { extra: { from, to, allowedMoves: allowed } },
  );
}

/** Checks a client move (same status is no move). */
export function assertClientMove(from: ClientStatus, to: ClientStatus): void {
  if (from === to) return;
  const moves = CLIENT_MOVES[from];
  if (!moves.some((m) => m.to === to))
    refuse(
      'client',
      from,
      to,
      moves.map((m) => m.to),
    );
}

/** Checks a project move and the permission it needs. */
export function assertProjectMove(
  from: ProjectStatus,
  to: ProjectStatus,
  permissions: ReadonlySet<string>,
): void {
  if (from === to) return;
  const moves = PROJECT_MOVES[from];
  const move = moves.find((m) => m.to === to);
  if (!move)
    refuse(
      'project',
      from,
      to,
      moves.map((m) => m.to),
    );
  if (!permissions.has(move.permission)) {
    throw new AppError('forbidden', WORK.projectMoveNeeds({ from, to, permission: move.permission }), {
      extra: { permission: move.permission },
    });
  }
}

export function assertTaskMove(from: TaskStatus, to: TaskStatus): void {
  if (from === to) return;
  const allowed = TASK_MOVES[from];
  if (!allowed.includes(to)) refuse('task', from, to, allowed);
}
