// The operations area: monitoring and health checks, alerts and their rules, security threats, the
// cache (super admins). Its
// navigation section and its routes (mounted under the signed-in layout); each link shows only to
// members holding the permission its page reads with (the API enforces it as well).
import { lazy, type ReactNode } from 'react';
import { Route } from 'react-router';
import type { NavSection } from '../../app/nav.ts';

const MonitoringPage = lazy(() => import('./MonitoringPage.tsx'));
const AlertsPage = lazy(() => import('./AlertsPage.tsx'));
const AlertRulesPage = lazy(() => import('./AlertRulesPage.tsx'));
const ThreatsPage = lazy(() => import('./ThreatsPage.tsx'));
const CachePage = lazy(() => import('./CachePage.tsx'));

export const operationsNav: NavSection | null = {
  label: (t) => t('operations.nav.section'),
  items: [
    { to: '/monitoring', label: (t) => t('operations.nav.monitoring'), permission: 'system:health' },
    { to: '/alerts', label: (t) => t('operations.nav.alerts'), permission: 'alerts:read' },
    { to: '/alerts/rules', label: (t) => t('operations.nav.rules'), permission: 'alerts:read' },
    { to: '/security', label: (t) => t('operations.nav.security'), permission: 'security:read' },
    // Super admins (every permission includes platform:admin only for them).
    { to: '/cache', label: (t) => t('operations.nav.cache'), permission: 'platform:admin' },
  ],
};

export const operationsRoutes: ReactNode = (
  <>
    <Route path="monitoring" element={<MonitoringPage />} />
    <Route path="alerts" element={<AlertsPage />} />
    <Route path="alerts/rules" element={<AlertRulesPage />} />
    <Route path="security" element={<ThreatsPage />} />
    <Route path="cache" element={<CachePage />} />
  </>
);
