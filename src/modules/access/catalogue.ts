// The permission catalogue (`resource:action`) and the built-in roles. Every route names one of
// these permissions (or is explicitly public / for any signed-in user). docs/permissions.md is
// generated from this file (`npm run docs`) and a test keeps it current.

export const PERMISSIONS = {
  'organization:read': 'See the organization profile and settings',
  'organization:update': 'Change the organization name, time zone, locale and MFA requirement',
  'plan:read': 'See the plan, its limits and the usage counters',
  'plan:manage': 'Change the organization plan',
  'members:read': 'List members and see their roles and departments',
  'members:invite': 'Invite people and revoke open invitations',
  'members:update': 'Change a member role, department or status',
  'members:remove': 'Remove a member from the organization',
  'roles:read': 'See roles and the permission catalogue',
  'roles:manage': 'Create, change and delete custom roles',
  'departments:read': 'See the department tree',
  'departments:manage': 'Create, move, rename and delete departments',
  'api_keys:read': 'List the API keys of the organization',
  'api_keys:manage': 'Create and revoke API keys',
  'ip_rules:read': 'See the organization IP allow and deny rules',
  'ip_rules:manage': 'Add and remove organization IP rules',
  'audit:read': 'Search the audit trail and check its integrity',
  'events:manage': 'See the event handlers that failed for good and retry them',
  'clients:read': 'See clients, their contacts and status history',
  'clients:manage': 'Create, change, import and delete clients and contacts',
  'projects:read': 'See projects, milestones, expenses and budgets',
  'projects:manage':
    'Create, change, import and delete projects, milestones and expenses; move a project between open statuses',
  'projects:reopen': 'Reopen a completed or cancelled project',
  'tasks:read': 'See tasks, comments, time entries and attachments',
  'tasks:work':
    'Work on tasks assigned to me (status, description, estimate, time, files) and comment on tasks I am assigned to or watch',
  'tasks:manage': 'Create, assign, change, import and delete any task',
  'business:read': 'See contracts, invoices, payments, deals and feedback',
  'business:manage': 'Record and change contracts, invoices, payments, deals and feedback',
  'analytics:read': 'See the organization dashboard and project performance reports',
  'executive:read': "See the organization's executive metrics and trends",
  'platform:admin':
    'Administer the whole installation: all organizations, global IP rules (super admins only)',
} as const;

export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

/** Permissions that only the platform's super admins hold; no organization role can carry them. */
export const PLATFORM_PERMISSIONS: readonly Permission[] = ['platform:admin'];
export const ORG_PERMISSIONS = ALL_PERMISSIONS.filter((p) => !PLATFORM_PERMISSIONS.includes(p));

export const isPermission = (value: string): value is Permission => Object.hasOwn(PERMISSIONS, value);

export type BuiltinRoleKey = 'org_admin' | 'manager' | 'developer' | 'analyst' | 'user' | 'viewer';

interface BuiltinRole {
  name: string;
  description: string;
  permissions: readonly Permission[];
}

const READ_BASICS: Permission[] = ['organization:read', 'members:read', 'departments:read'];
const WORK_READ: Permission[] = ['clients:read', 'projects:read', 'tasks:read'];

/** Built-in organization roles, most powerful first. super_admin is a platform role (see below). */
export const BUILTIN_ROLES: Record<BuiltinRoleKey, BuiltinRole> = {
  org_admin: {
    name: 'Organization admin',
    description: 'Everything within the organization.',
    permissions: ORG_PERMISSIONS,
  },
  manager: {
    name: 'Manager',
    description:
      'Runs teams and work: invites people, shapes departments, manages clients, projects, tasks and business data.',
    permissions: [
      ...READ_BASICS,
      'plan:read',
      'members:invite',
      'members:update',
      'roles:read',
      'departments:manage',
      'api_keys:read',
      'audit:read',
      ...WORK_READ,
      'clients:manage',
      'projects:manage',
      'tasks:work',
      'tasks:manage',
      'business:read',
      'business:manage',
      'analytics:read',
    ],
  },
  developer: {
    name: 'Developer',
    description: 'Works on the tasks assigned to them and builds integrations (manages API keys).',
    permissions: [
      ...READ_BASICS,
      'roles:read',
      'api_keys:read',
      'api_keys:manage',
      ...WORK_READ,
      'tasks:work',
    ],
  },
  analyst: {
    name: 'Analyst',
    description: 'Reads everything for reporting, including business data, analytics and the audit trail.',
    permissions: [
      ...READ_BASICS,
      'plan:read',
      'roles:read',
      'audit:read',
      ...WORK_READ,
      'business:read',
      'analytics:read',
    ],
  },
  user: {
    name: 'User',
    description: 'A regular member: reads the work data and works on the tasks assigned to them.',
    permissions: [...READ_BASICS, ...WORK_READ, 'tasks:work'],
  },
  viewer: {
    name: 'Viewer',
    description: 'Read-only access to the organization structure, clients, projects and tasks.',
    permissions: ['organization:read', 'departments:read', ...WORK_READ],
  },
};

export const BUILTIN_ROLE_KEYS = Object.keys(BUILTIN_ROLES) as BuiltinRoleKey[];

export const SUPER_ADMIN = {
  name: 'Super admin',
  description:
    'Platform role (users.is_super_admin, granted by `bul admin create`): every permission in every organization, plus platform administration.',
  permissions: ALL_PERMISSIONS,
} as const;

/** The effective permissions of a role row: built-in roles follow the code, custom ones their list. */
export function rolePermissions(role: { key: string | null; permissions: readonly string[] }): Permission[] {
  if (role.key && Object.hasOwn(BUILTIN_ROLES, role.key))
    return [...BUILTIN_ROLES[role.key as BuiltinRoleKey].permissions];
  return role.permissions.filter(isPermission).filter((p) => !PLATFORM_PERMISSIONS.includes(p));
}

/** Route access for a permission of the catalogue (type-checked). */
export const requires = (permission: Permission, opts: { duringMfaEnrollment?: boolean } = {}) => ({
  permission,
  ...opts,
});
