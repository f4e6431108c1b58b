// The business area: its navigation section and its routes (mounted under the signed-in layout).
// Pages load on demand; every page needs business:read (the API enforces it as well).
import { lazy, type ReactNode } from 'react';
import { Navigate, Route } from 'react-router';
import type { NavSection } from '../../app/nav.ts';

const ContractsPage = lazy(() => import('./ContractsPage.tsx'));
const InvoicesPage = lazy(() => import('./InvoicesPage.tsx'));
const DealsPage = lazy(() => import('./DealsPage.tsx'));
const FeedbackPage = lazy(() => import('./FeedbackPage.tsx'));

export const businessNav: NavSection | null = {
  label: (t) => t('business.nav.section'),
  items: [
    { to: '/business/contracts', label: (t) => t('business.nav.contracts'), permission: 'business:read' },
    { to: '/business/invoices', label: (t) => t('business.nav.invoices'), permission: 'business:read' },
    { to: '/business/deals', label: (t) => t('business.nav.deals'), permission: 'business:read' },
    { to: '/business/feedback', label: (t) => t('business.nav.feedback'), permission: 'business:read' },
  ],
};

export const businessRoutes: ReactNode = (
  <Route path="business">
    <Route index element={<Navigate to="contracts" replace />} />
    <Route path="contracts" element={<ContractsPage />} />
    <Route path="invoices" element={<InvoicesPage />} />
    <Route path="deals" element={<DealsPage />} />
    <Route path="feedback" element={<FeedbackPage />} />
  </Route>
);
