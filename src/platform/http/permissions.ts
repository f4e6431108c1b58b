// The permission catalogue (`resource:action`): every route under /api names one of these (or is
// explicitly public / for any signed-in user) in `config.access`, which the request pipeline
// enforces. It is a catalogue of names, like the error codes (errors.ts), shared by every module's
// routes, so it lives below them all; which module uses which is each module's definition
// (`permissions`), who holds which is the access module's roles (modules/access/catalogue.ts).

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
  'webhooks:manage':
    'Register, change, delete and rotate the secrets of webhook endpoints; see their deliveries and resend them',
  'notifications:manage':
    'Set up notification channels, templates and rules; see the delivery log and analytics; replay dead letters',
  'notifications:send':
    'Send notifications to members and client contacts, and broadcast to the organization',
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
  'monitoring:read':
    "See the organization's metrics history (requests, errors, latency, security and quota counters) and capacity projections",
  'system:health':
    "See the health checks: the platform's status and the organization's notification channels (super admins: every detail and every organization)",
  'security:read': 'See the threats BUL detected and the security dashboard; dismiss a threat',
  'alerts:read':
    "See the organization's alert rules and alerts, their history and the executive alert summary",
  'alerts:manage':
    'Create, change and delete alert rules; acknowledge, resolve and silence alerts (platform-wide ones: super admins)',
  'backups:manage':
    'Run, verify and restore backups of the whole installation; change schedules, retention and the restore policy (super admins only)',
  'backups:restore':
    "See the backups and restore the organization's own data from one, as the installation's restore policy allows",
} as const;

export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

/** Permissions that only the platform's super admins hold; no organization role can carry them. */
export const PLATFORM_PERMISSIONS: readonly Permission[] = ['platform:admin', 'backups:manage'];
export const ORG_PERMISSIONS = ALL_PERMISSIONS.filter((p) => !PLATFORM_PERMISSIONS.includes(p));

export const isPermission = (value: string): value is Permission => Object.hasOwn(PERMISSIONS, value);

/** Route access for a permission of the catalogue (type-checked). */
export const requires = (permission: Permission, opts: { duringMfaEnrollment?: boolean } = {}) => ({
  permission,
  ...opts,
});
