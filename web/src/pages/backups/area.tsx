// The backups area: the health dashboard, the backups and one backup's detail, the restore wizard,
// the restore history and the settings. Super admins (backups:manage) see all of it; organization
// admins (backups:restore) see the backups, the restore of their own organization and its history.
// The API enforces the same.
import { lazy, type ReactNode } from 'react';
import { Route } from 'react-router';
import type { NavSection } from '../../app/nav.ts';

const BackupsDashboardPage = lazy(() => import('./BackupsDashboardPage.tsx'));
const BackupRunsPage = lazy(() => import('./BackupRunsPage.tsx'));
const BackupRunPage = lazy(() => import('./BackupRunPage.tsx'));
const RestoreWizardPage = lazy(() => import('./RestoreWizardPage.tsx'));
const RestoresPage = lazy(() => import('./RestoresPage.tsx'));
const BackupSettingsPage = lazy(() => import('./BackupSettingsPage.tsx'));

export const backupsNav: NavSection = {
  label: (t) => t('backups.nav.section'),
  items: [
    { to: '/backups', label: (t) => t('backups.nav.dashboard'), permission: 'backups:manage' },
    { to: '/backups/runs', label: (t) => t('backups.nav.runs'), permission: 'backups:restore' },
    { to: '/backups/restore', label: (t) => t('backups.nav.restore'), permission: 'backups:restore' },
    { to: '/backups/restores', label: (t) => t('backups.nav.restores'), permission: 'backups:restore' },
    { to: '/backups/settings', label: (t) => t('backups.nav.settings'), permission: 'backups:manage' },
  ],
};

export const backupsRoutes: ReactNode = (
  <>
    <Route path="backups" element={<BackupsDashboardPage />} />
    <Route path="backups/runs" element={<BackupRunsPage />} />
    <Route path="backups/runs/:id" element={<BackupRunPage />} />
    <Route path="backups/restore" element={<RestoreWizardPage />} />
    <Route path="backups/restores" element={<RestoresPage />} />
    <Route path="backups/settings" element={<BackupSettingsPage />} />
  </>
);
