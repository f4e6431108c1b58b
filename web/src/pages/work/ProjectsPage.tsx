// Projects as a list or as a board by status; dragging a card asks the API to move the project
// and explains a refusal with the moves the transition table allows.
import {
  Alert,
  Anchor,
  Button,
  Group,
  Modal,
  Progress,
  SegmentedControl,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, usePagedQuery } from '../../api/queries.ts';
import type { Project, ProjectStatus } from '../../api/types.ts';
import { ExportMenu } from '../../components/ExportMenu.tsx';
import { ListTable, LoadMore } from '../../components/ListPage.tsx';
import { moveOptimistically } from '../../components/moveOptimistically.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { StatusBoard } from '../../components/StatusBoard.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { moveRefusal } from './moveRefusal.ts';
import { ProjectForm } from './ProjectForm.tsx';

const STATUSES: readonly ProjectStatus[] = ['planning', 'active', 'on_hold', 'completed', 'cancelled'];

export default function ProjectsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'board' ? 'board' : 'list';
  const [creating, setCreating] = useState(false);
  const [refusal, setRefusal] = useState<{ title: string; message: string } | null>(null);

  const list = usePagedQuery(key('projects', 'ProjectsPage.list'), (cursor) =>
    call(api.GET('/api/v1/projects', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } })),
  );
  const { items, setItems } = list;

  const move = async (project: Project, to: ProjectStatus) => {
    setRefusal(null);
    const outcome = await moveOptimistically({
      setItems,
      item: project,
      moved: { ...project, status: to },
      save: () =>
        call(
          api.PATCH('/api/v1/projects/{id}', {
            params: { path: { id: project.id } },
            headers: ifMatch(project.version),
            body: { status: to },
          }),
        ),
    });
    if (outcome.ok) return;
    setRefusal(moveRefusal(outcome.error, 'projects', project.status, t));
    if (outcome.stale) void list.reload();
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('projects.title')}</Title>
        <Group gap="xs">
          <SegmentedControl
            aria-label={t('projects.view')}
            value={view}
            onChange={(v) => setParams(v === 'board' ? { view: 'board' } : {})}
            data={[
              { value: 'list', label: t('projects.list') },
              { value: 'board', label: t('projects.board') },
            ]}
          />
          <ExportMenu path="/api/v1/projects/export" />
          {can('projects:manage') && <Button onClick={() => setCreating(true)}>{t('projects.new')}</Button>}
        </Group>
      </Group>
      {view === 'board' && <ProblemAlert error={list.error} />}
      {refusal && (
        <Alert
          color="orange"
          title={refusal.title}
          withCloseButton
          onClose={() => setRefusal(null)}
          role="alert"
        >
          {refusal.message}
        </Alert>
      )}
      {view === 'board' ? (
        <StatusBoard
          label={t('projects.board')}
          columns={STATUSES}
          items={items}
          columnLabel={(s) => t(`projects.status.${s}`)}
          cardLabel={(p) => p.name}
          onMove={(p, to) => void move(p, to)}
          renderCard={(p) => (
            <Stack gap={4}>
              <Anchor component={Link} to={`/projects/${p.id}`} fw={600} size="sm">
                {p.name}
              </Anchor>
              <Progress value={p.progress} size="sm" aria-label={t('projects.progress')} />
              <Text size="xs" c="dimmed">
                {t('projects.dueDate')}: {f.day(p.dueDate)}
              </Text>
            </Stack>
          )}
        />
      ) : (
        <ListTable
          list={list}
          minWidth={640}
          columns={[
            {
              header: t('common.name'),
              cell: (p) => (
                <Anchor component={Link} to={`/projects/${p.id}`}>
                  {p.name}
                </Anchor>
              ),
            },
            { header: t('common.status'), cell: (p) => <StatusBadge kind="projects" status={p.status} /> },
            { header: t('projects.progress'), cell: (p) => f.percent(p.progress / 100) },
            { header: t('projects.budget'), cell: (p) => f.money(p.budgetMinor, p.currency) },
            { header: t('projects.dueDate'), cell: (p) => f.day(p.dueDate) },
          ]}
        />
      )}
      {view === 'board' && <LoadMore list={list} />}
      <Modal opened={creating} onClose={() => setCreating(false)} title={t('projects.new')}>
        <ProjectForm
          onCreated={(p) => {
            setCreating(false);
            navigate(`/projects/${p.id}`);
          }}
        />
      </Modal>
    </Stack>
  );
}
