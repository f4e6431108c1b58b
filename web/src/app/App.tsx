// Routes. Pages load on demand, so the first screen only downloads what it shows.
import { Center, Loader } from '@mantine/core';
import { lazy, type ReactNode, Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { adminRoutes } from '../pages/admin/area.tsx';
import { backupsRoutes } from '../pages/backups/area.tsx';
import { businessRoutes } from '../pages/business/area.tsx';
import { notificationSetupRoutes } from '../pages/notification-setup/area.tsx';
import { operationsRoutes } from '../pages/operations/area.tsx';
import { useSession } from '../session/SessionProvider.tsx';
import { AppLayout } from './AppLayout.tsx';
import { RealtimeProvider } from './RealtimeProvider.tsx';

const LoginPage = lazy(() => import('../pages/auth/LoginPage.tsx'));
const SignUpPage = lazy(() => import('../pages/auth/SignUpPage.tsx'));
const AcceptInvitationPage = lazy(() => import('../pages/auth/AcceptInvitationPage.tsx'));
const DashboardPage = lazy(() => import('../pages/dashboard/DashboardPage.tsx'));
const ProjectsPage = lazy(() => import('../pages/work/ProjectsPage.tsx'));
const ProjectDetailPage = lazy(() => import('../pages/work/ProjectDetailPage.tsx'));
const TaskDetailPage = lazy(() => import('../pages/work/TaskDetailPage.tsx'));
const ClientsPage = lazy(() => import('../pages/work/ClientsPage.tsx'));
const SecurityPage = lazy(() => import('../pages/settings/SecurityPage.tsx'));
const AuditPage = lazy(() => import('../pages/audit/AuditPage.tsx'));
const ExecutivePage = lazy(() => import('../pages/executive/ExecutivePage.tsx'));
const InboxPage = lazy(() => import('../pages/notifications/InboxPage.tsx'));

function Loading() {
  return (
    <Center h="50vh">
      <Loader aria-label="loading" />
    </Center>
  );
}

/**
 * Pages behind sign-in: anonymous visitors go to the login page and come back after (a deep link,
 * or the page where their session ended). Who signed out starts again from the dashboard.
 */
function RequireSession({ children }: { children: ReactNode }) {
  const { state } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'anonymous')
    return (
      <Navigate
        to="/login"
        replace
        state={state.signedOut ? null : { from: location.pathname + location.search }}
      />
    );
  return children;
}

/**
 * Where a visitor sent to the login page came from (RequireSession puts it in the history state):
 * a path of this app only, never another site's address.
 */
function returnPath(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') ? from : '/';
}

/**
 * Login and sign-up: a signed-in user goes on to the page that sent them to sign in (a deep link
 * opened while signed out), or else to the dashboard. The redirect lives here rather than in the
 * login page, because signing in re-renders this guard before the page's own navigation ran.
 */
function AnonymousOnly({ children }: { children: ReactNode }) {
  const { state } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'signed-in') return <Navigate to={returnPath(location.state)} replace />;
  return children;
}

/** The home page: the dashboard for those who may see it, otherwise the projects. */
function Home() {
  const { can } = useSession();
  return can('analytics:read') ? <DashboardPage /> : <Navigate to="/projects" replace />;
}

export function App() {
  return (
    <BrowserRouter>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route
            path="/login"
            element={
              <AnonymousOnly>
                <LoginPage />
              </AnonymousOnly>
            }
          />
          <Route
            path="/signup"
            element={
              <AnonymousOnly>
                <SignUpPage />
              </AnonymousOnly>
            }
          />
          <Route path="/invite" element={<AcceptInvitationPage />} />
          <Route
            element={
              <RequireSession>
                <RealtimeProvider>
                  <AppLayout />
                </RealtimeProvider>
              </RequireSession>
            }
          >
            <Route index element={<Home />} />
            <Route path="projects" element={<ProjectsPage />} />
            <Route path="projects/:id" element={<ProjectDetailPage />} />
            <Route path="tasks/:id" element={<TaskDetailPage />} />
            <Route path="clients" element={<ClientsPage />} />
            <Route path="settings/security" element={<SecurityPage />} />
            <Route path="executive" element={<ExecutivePage />} />
            <Route path="audit" element={<AuditPage />} />
            <Route path="notifications" element={<InboxPage />} />
            {businessRoutes}
            {adminRoutes}
            {notificationSetupRoutes}
            {operationsRoutes}
            {backupsRoutes}
            <Route path="*" element={<Navigate to="/" replace />} />
          </Route>
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}
