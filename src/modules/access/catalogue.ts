// The built-in roles, made of the permissions of the catalogue (src/platform/http/permissions.ts,
// re-exported here). docs/permissions.md is generated from both (`npm run docs`) and a test keeps
// it current.
import {
  ALL_PERMISSIONS,
  isPermission,
  ORG_PERMISSIONS,
  type Permission,
  PLATFORM_PERMISSIONS,
} from '../../platform/http/permissions.ts';

export {
  ALL_PERMISSIONS,
  isPermission,
  ORG_PERMISSIONS,
  PERMISSIONS,
  type Permission,
  PLATFORM_PERMISSIONS,
  requires,
} from '../../platform/http/permissions.ts';

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
      'alerts:read',
      'notifications:send',
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
      'alerts:read',
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
