// The notification settings area: its navigation section and its routes (mounted under the signed-in
// layout). Channels, templates, rules and analytics need notifications:manage (the API enforces it
// as well); every member has their own notification preferences.
import { lazy, type ReactNode } from 'react';
import { Route } from 'react-router';
import type { NavSection } from '../../app/nav.ts';

const ChannelsPage = lazy(() => import('./ChannelsPage.tsx'));
const TemplatesPage = lazy(() => import('./TemplatesPage.tsx'));
const TemplateEditorPage = lazy(() => import('./TemplateEditorPage.tsx'));
const RulesPage = lazy(() => import('./RulesPage.tsx'));
const PreferencesPage = lazy(() => import('./PreferencesPage.tsx'));
const AnalyticsPage = lazy(() => import('./AnalyticsPage.tsx'));

const MANAGE = 'notifications:manage';

export const notificationSetupNav: NavSection | null = {
  label: (t) => t('notificationSetup.nav.section'),
  items: [
    { to: '/notifications/preferences', label: (t) => t('notificationSetup.nav.preferences') },
    {
      to: '/notifications/setup/channels',
      label: (t) => t('notificationSetup.nav.channels'),
      permission: MANAGE,
    },
    {
      to: '/notifications/setup/templates',
      label: (t) => t('notificationSetup.nav.templates'),
      permission: MANAGE,
    },
    { to: '/notifications/setup/rules', label: (t) => t('notificationSetup.nav.rules'), permission: MANAGE },
    {
      to: '/notifications/setup/analytics',
      label: (t) => t('notificationSetup.nav.analytics'),
      permission: MANAGE,
    },
  ],
};

export const notificationSetupRoutes: ReactNode = (
  <>
    <Route path="notifications/preferences" element={<PreferencesPage />} />
    <Route path="notifications/setup/channels" element={<ChannelsPage />} />
    <Route path="notifications/setup/templates" element={<TemplatesPage />} />
    <Route
      path="notifications/setup/templates/:eventType/:channel/:language"
      element={<TemplateEditorPage />}
    />
    <Route path="notifications/setup/rules" element={<RulesPage />} />
    <Route path="notifications/setup/analytics" element={<AnalyticsPage />} />
  </>
);
