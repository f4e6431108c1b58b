// The organization's IP allow/deny rules: the list, adding a rule for an IPv4 or IPv6 address or
// network (the API refuses one that would shut out the member adding it), removing one.
import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { DownloadMenu } from '../../components/DownloadMenu.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import type { IpRule } from './types.ts';

type Action = IpRule['action'];

export default function IpRulesPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { can } = useSession();
  const manage = can('ip_rules:manage');
  const rules = useApiQuery(
    key('ip-rules', 'IpRulesPage.rules'),
    async () => (await call(api.GET('/api/v1/ip-rules'))).items,
  );

  const remove = async (rule: IpRule) => {
    await call(api.DELETE('/api/v1/ip-rules/{id}', { params: { path: { id: rule.id } } }));
    await rules.reload();
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('admin.ipRules.title')}</Title>
        <DownloadMenu
          fileName="ip-rules"
          fetchAll={async () => (await call(api.GET('/api/v1/ip-rules'))).items}
          columns={[
            { header: 'cidr', value: (r) => r.cidr },
            { header: 'action', value: (r) => r.action },
            { header: 'note', value: (r) => r.note },
            { header: 'createdAt', value: (r) => r.createdAt },
          ]}
        />
      </Group>
      <Alert color="blue" variant="light">
        {t('admin.ipRules.help')}
      </Alert>
      {manage && (
        <Card withBorder>
          <Title order={4} mb="sm">
            {t('admin.ipRules.new')}
          </Title>
          <IpRuleForm onAdded={() => void rules.reload()} />
        </Card>
      )}
      <ProblemAlert error={rules.error} />
      {rules.data && rules.data.length === 0 ? (
        <Text c="dimmed">{t('admin.ipRules.none')}</Text>
      ) : (
        <WideTable minWidth={560}>
          <Table verticalSpacing="xs" data-testid="ip-rules-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('admin.ipRules.action')}</Table.Th>
                <Table.Th>{t('admin.ipRules.cidr')}</Table.Th>
                <Table.Th>{t('admin.ipRules.note')}</Table.Th>
                <Table.Th>{t('admin.ipRules.added')}</Table.Th>
                {manage && <Table.Th>{t('common.actions')}</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(rules.data ?? []).map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>
                    <Badge color={r.action === 'allow' ? 'green' : 'red'} variant="light">
                      {t(`admin.ipRules.actions.${r.action}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Code>{r.cidr}</Code>
                  </Table.Td>
                  <Table.Td>{r.note || '—'}</Table.Td>
                  <Table.Td>{f.dateTime(r.createdAt)}</Table.Td>
                  {manage && (
                    <Table.Td>
                      <ConfirmButton
                        label={t('admin.ipRules.remove')}
                        ariaLabel={t('admin.ipRules.removeWho', { cidr: r.cidr })}
                        title={t('admin.ipRules.removeTitle')}
                        message={t('admin.ipRules.removeConfirm', { cidr: r.cidr })}
                        confirmLabel={t('admin.ipRules.remove')}
                        onConfirm={() => remove(r)}
                      />
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </WideTable>
      )}
    </Stack>
  );
}

function IpRuleForm({ onAdded }: { onAdded: () => void }) {
  const { t } = useTranslation();
  const [action, setAction] = useState<Action>('allow');
  const [cidr, setCidr] = useState('');
  const [note, setNote] = useState('');
  const submit = useSubmit(async () => {
    await call(api.POST('/api/v1/ip-rules', { body: { action, cidr: cidr.trim(), note: note.trim() } }));
    setCidr('');
    setNote('');
    onAdded();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form onSubmit={onSubmit} noValidate aria-label={t('admin.ipRules.new')}>
      <Stack gap="xs">
        <ProblemAlert error={submit.formError} />
        <div>
          <Text size="sm" fw={500} mb={4} id="ip-rule-action">
            {t('admin.ipRules.action')}
          </Text>
          <SegmentedControl
            aria-labelledby="ip-rule-action"
            value={action}
            onChange={(v) => setAction(v as Action)}
            data={[
              { value: 'allow', label: t('admin.ipRules.actions.allow') },
              { value: 'deny', label: t('admin.ipRules.actions.deny') },
            ]}
          />
        </div>
        <Group align="flex-start" grow wrap="wrap" preventGrowOverflow={false}>
          <TextInput
            label={t('admin.ipRules.cidr')}
            description={t('admin.ipRules.cidrHint')}
            value={cidr}
            onChange={(e) => setCidr(e.currentTarget.value)}
            error={submit.fieldError('cidr')}
            autoComplete="off"
            spellCheck={false}
            miw={220}
            required
          />
          <TextInput
            label={t('admin.ipRules.note')}
            description={t('common.optional')}
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            error={submit.fieldError('note')}
            miw={220}
          />
        </Group>
        <Group>
          <Button type="submit" loading={submit.busy}>
            {t('admin.ipRules.add')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
