// The admin area: its navigation section and its routes (mounted under the signed-in layout).
// Each page loads on demand; each link shows only to members holding the permission it reads with.
import { lazy, type ReactNode } from 'react';
import { Route } from 'react-router';
import type { NavSection } from '../../app/nav.ts';

const MembersPage = lazy(() => import('./MembersPage.tsx'));
const RolesPage = lazy(() => import('./RolesPage.tsx'));
const DepartmentsPage = lazy(() => import('./DepartmentsPage.tsx'));
const IpRulesPage = lazy(() => import('./IpRulesPage.tsx'));
const ApiKeysPage = lazy(() => import('./ApiKeysPage.tsx'));
const PlanPage = lazy(() => import('./PlanPage.tsx'));
const OrganizationPage = lazy(() => import('./OrganizationPage.tsx'));
const WebhooksPage = lazy(() => import('./WebhooksPage.tsx'));
const WebhookDeliveriesPage = lazy(() => import('./WebhookDeliveriesPage.tsx'));
const NotificationDeliveriesPage = lazy(() => import('../notifications/DeliveriesPage.tsx'));
const SendNotificationPage = lazy(() => import('../notifications/SendPage.tsx'));

export const adminNav: NavSection | null = {
  label: (t) => t('admin.nav.section'),
  items: [
    { to: '/admin/members', label: (t) => t('admin.nav.members'), permission: 'members:read' },
    { to: '/admin/roles', label: (t) => t('admin.nav.roles'), permission: 'roles:read' },
    { to: '/admin/departments', label: (t) => t('admin.nav.departments'), permission: 'departments:read' },
    { to: '/admin/ip-rules', label: (t) => t('admin.nav.ipRules'), permission: 'ip_rules:read' },
    { to: '/admin/api-keys', label: (t) => t('admin.nav.apiKeys'), permission: 'api_keys:read' },
    { to: '/admin/webhooks', label: (t) => t('webhooks.nav'), permission: 'webhooks:manage' },
    {
      to: '/admin/notifications/send',
      label: (t) => t('notifications.nav.send'),
      permission: 'notifications:send',
    },
    {
      to: '/admin/notifications/deliveries',
      label: (t) => t('notifications.nav.deliveries'),
      permission: 'notifications:manage',
    },
    { to: '/admin/plan', label: (t) => t('admin.nav.plan'), permission: 'plan:read' },
    { to: '/admin/organization', label: (t) => t('admin.nav.organization'), permission: 'organization:read' },
  ],
};

export const adminRoutes: ReactNode = (
  <>
    <Route path="admin/members" element={<MembersPage />} />
    <Route path="admin/roles" element={<RolesPage />} />
    <Route path="admin/departments" element={<DepartmentsPage />} />
    <Route path="admin/ip-rules" element={<IpRulesPage />} />
    <Route path="admin/api-keys" element={<ApiKeysPage />} />
    <Route path="admin/webhooks" element={<WebhooksPage />} />
    <Route path="admin/webhooks/:id" element={<WebhookDeliveriesPage />} />
    <Route path="admin/notifications/send" element={<SendNotificationPage />} />
    <Route path="admin/notifications/deliveries" element={<NotificationDeliveriesPage />} />
    <Route path="admin/plan" element={<PlanPage />} />
    <Route path="admin/organization" element={<OrganizationPage />} />
  </>
);
