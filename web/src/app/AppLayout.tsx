// The frame of every signed-in page: header with the organization switcher, the notification
// bell, language and sign-out; navigation that collapses behind a burger on narrow screens.
import { AppShell, Badge, Burger, Group, NavLink, ScrollArea, Select, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { api, call } from '../api/client.ts';
import type { Ok } from '../api/types.ts';
import { LanguageSelect } from '../components/LanguageSelect.tsx';
import { NotificationBell } from '../components/NotificationBell.tsx';
import { adminNav } from '../pages/admin/area.tsx';
import { backupsNav } from '../pages/backups/area.tsx';
import { businessNav } from '../pages/business/area.tsx';
import { notificationSetupNav } from '../pages/notification-setup/area.tsx';
import { operationsNav } from '../pages/operations/area.tsx';
import { useMe, useSession } from '../session/SessionProvider.tsx';
import { useRealtimeState } from './RealtimeProvider.tsx';

type MyOrganizations = Ok<'/api/v1/organizations'>['items'];

const AREA_SECTIONS = [businessNav, adminNav, notificationSetupNav, operationsNav, backupsNav].filter(
  (s) => s !== null,
);

const NAV = [
  { to: '/', key: 'nav.dashboard', permission: 'analytics:read' },
  { to: '/executive', key: 'nav.executive', permission: 'executive:read' },
  { to: '/projects', key: 'nav.projects', permission: 'projects:read' },
  { to: '/clients', key: 'nav.clients', permission: 'clients:read' },
  { to: '/audit', key: 'nav.audit', permission: 'audit:read' },
  { to: '/notifications', key: 'notifications.nav.inbox', permission: null },
  { to: '/settings/security', key: 'nav.security', permission: null },
] as const;

export function AppLayout() {
  const { t } = useTranslation();
  const me = useMe();
  const { reload, signOut, can } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  // The link whose path is the longest prefix of the page's is the active one (/notifications is
  // not active on /notifications/setup/channels, whose own link is).
  const matches = (to: string) =>
    to === '/'
      ? location.pathname === '/'
      : location.pathname === to || location.pathname.startsWith(`${to}/`);
  const targets = [...NAV.map((i) => i.to), ...AREA_SECTIONS.flatMap((sec) => sec.items.map((i) => i.to))];
  const isActive = (to: string) =>
    matches(to) &&
    !targets.some((other) => other.length > to.length && other.startsWith(to) && matches(other));
  const [opened, { toggle, close }] = useDisclosure();
  const [orgs, setOrgs] = useState<MyOrganizations>([]);

  useEffect(() => {
    call(api.GET('/api/v1/organizations')).then(
      (r) => setOrgs(r.items),
      () => setOrgs([]),
    );
  }, []);
  // Navigating closes the menu on phones.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every location change
  useEffect(() => close(), [location.pathname, close]);

  const switchOrganization = async (organizationId: string | null) => {
    if (!organizationId || organizationId === me.organization?.id) return;
    await call(api.POST('/api/v1/auth/switch-organization', { body: { organizationId } }));
    await reload();
    navigate('/');
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.menu')} />
            <Title order={3}>{t('app.name')}</Title>
            <ReconnectingNote />
          </Group>
          <Group gap="xs" wrap="nowrap">
            <Select
              aria-label={t('org.switcher')}
              size="xs"
              w={{ base: 120, sm: 200 }}
              data={orgs.map((o) => ({ value: o.id, label: o.name }))}
              value={me.organization?.id ?? null}
              onChange={(v) => void switchOrganization(v)}
              allowDeselect={false}
              visibleFrom="xs"
            />
            <NotificationBell />
            <LanguageSelect />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={t('nav.mainNavigation')} component="nav">
        {/* The list scrolls when it is taller than the screen (phones in landscape, many areas). Its
            scrollbar shows while the pointer is over the list or it scrolls, and takes room of its
            own beside the items: an overlaid, always-visible bar covered the selected item. */}
        <AppShell.Section
          grow
          component={ScrollArea}
          type="hover"
          scrollbars="y"
          scrollbarSize={8}
          offsetScrollbars="present"
        >
          <Text size="xs" c="dimmed" px="sm" pb="xs" truncate>
            {me.user.name} · {me.organization?.name}
          </Text>
          <Select
            aria-label={t('org.switcher')}
            size="xs"
            px="sm"
            pb="xs"
            hiddenFrom="xs"
            data={orgs.map((o) => ({ value: o.id, label: o.name }))}
            value={me.organization?.id ?? null}
            onChange={(v) => void switchOrganization(v)}
            allowDeselect={false}
          />
          {NAV.filter((item) => item.permission === null || can(item.permission)).map((item) => (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              onClick={close}
              label={t(item.key)}
              active={isActive(item.to)}
            />
          ))}
          {AREA_SECTIONS.map((section) => {
            const items = section.items.filter((i) => !i.permission || can(i.permission));
            if (items.length === 0) return null;
            return (
              <div key={section.items[0]?.to}>
                <Text size="xs" fw={600} c="dimmed" tt="uppercase" px="sm" pt="sm" pb={4}>
                  {section.label(t)}
                </Text>
                {items.map((item) => (
                  <NavLink
                    key={item.to}
                    component={Link}
                    to={item.to}
                    onClick={close}
                    label={item.label(t)}
                    active={isActive(item.to)}
                  />
                ))}
              </div>
            );
          })}
          <NavLink component="a" href="/docs" label={t('nav.apiDocs')} />
          <NavLink
            component="button"
            label={t('common.signOut')}
            onClick={() => void signOut().then(() => navigate('/login'))}
          />
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}

/**
 * Shown only while live updates are interrupted, so the screen is not trusted to be current then
 * (it says nothing while connected: that is the normal state).
 */
function ReconnectingNote() {
  const { t } = useTranslation();
  if (useRealtimeState() !== 'reconnecting') return null;
  return (
    <Badge variant="light" color="gray" title={t('realtime.reconnectingHint')} role="status">
      {t('realtime.reconnecting')}
    </Badge>
  );
}
