// My security: two-step verification (enrolment with a QR code and recovery codes) and my
// sessions, each of which I can revoke.
import { Badge, Button, Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import type { Ok } from '../../api/types.ts';
import { DownloadMenu } from '../../components/DownloadMenu.tsx';
import { QrAndCode, RecoveryCodes } from '../../components/MfaEnrolment.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { useMe, useSession } from '../../session/SessionProvider.tsx';

type Setup = Ok<'/api/v1/auth/mfa/setup', 'post'>;
type Sessions = Ok<'/api/v1/auth/sessions'>['items'];

export default function SecurityPage() {
  const { t } = useTranslation();
  return (
    <Stack>
      <Title order={2}>{t('nav.security')}</Title>
      <MfaCard />
      <SessionsCard />
    </Stack>
  );
}

function MfaCard() {
  const { t } = useTranslation();
  const me = useMe();
  const { reload } = useSession();
  const [setup, setSetup] = useState<Setup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);

  const start = useSubmit(async () => {
    setSetup(await call(api.POST('/api/v1/auth/mfa/setup')));
  });
  const enable = useSubmit(async (code: string) => {
    const r = await call(api.POST('/api/v1/auth/mfa/enable', { body: { code } }));
    setSetup(null);
    setCodes(r.recoveryCodes);
  });

  return (
    <Card withBorder>
      <Title order={4} mb="sm">
        {t('mfa.title')}
      </Title>
      {codes ? (
        <RecoveryCodes
          codes={codes}
          onDone={() => {
            setCodes(null);
            void reload();
          }}
        />
      ) : setup ? (
        <Stack>
          <ProblemAlert error={enable.formError} />
          <QrAndCode
            secret={setup.secret}
            otpauthUrl={setup.otpauthUrl}
            busy={enable.busy}
            error={enable.fieldError('code')}
            onCode={(c) => void enable.run(c)}
          />
        </Stack>
      ) : (
        <Stack align="flex-start">
          <Group>
            <Badge color={me.user.mfaEnabled ? 'green' : 'gray'}>
              {me.user.mfaEnabled ? t('mfa.enabled') : t('mfa.disabled')}
            </Badge>
          </Group>
          <ProblemAlert error={start.error} />
          {!me.user.mfaEnabled && (
            <Button onClick={() => void start.run()} loading={start.busy}>
              {t('mfa.start')}
            </Button>
          )}
        </Stack>
      )}
    </Card>
  );
}

function SessionsCard() {
  const { t } = useTranslation();
  const f = useFormat();
  const [sessions, setSessions] = useState<Sessions>([]);
  const load = useCallback(async () => {
    setSessions((await call(api.GET('/api/v1/auth/sessions'))).items);
  }, []);
  const revoke = useSubmit(async (id: string) => {
    await call(api.DELETE('/api/v1/auth/sessions/{id}', { params: { path: { id } } }));
    await load();
  });
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={4}>{t('sessions.title')}</Title>
        <DownloadMenu
          fileName="sessions"
          fetchAll={async () => (await call(api.GET('/api/v1/auth/sessions'))).items}
          columns={[
            { header: 'kind', value: (s) => s.kind },
            { header: 'current', value: (s) => s.current },
            { header: 'ip', value: (s) => s.ip },
            { header: 'userAgent', value: (s) => s.userAgent },
            { header: 'createdAt', value: (s) => s.createdAt },
            { header: 'lastSeenAt', value: (s) => s.lastSeenAt },
            { header: 'expiresAt', value: (s) => s.expiresAt },
          ]}
        />
      </Group>
      <ProblemAlert error={revoke.error} />
      <WideTable minWidth={720}>
        <Table data-testid="sessions-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('sessions.kind')}</Table.Th>
              <Table.Th>{t('sessions.device')}</Table.Th>
              <Table.Th>{t('sessions.started')}</Table.Th>
              <Table.Th>{t('sessions.lastSeen')}</Table.Th>
              <Table.Th>{t('sessions.expires')}</Table.Th>
              <Table.Th>IP</Table.Th>
              <Table.Th>{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {sessions.map((s) => (
              <Table.Tr key={s.id}>
                <Table.Td>
                  <Text size="sm">{s.kind === 'cookie' ? t('sessions.browser') : t('sessions.token')}</Text>
                  {s.current && <Badge size="xs">{t('sessions.current')}</Badge>}
                </Table.Td>
                <Table.Td>
                  <Text size="sm" title={s.userAgent ?? undefined}>
                    {describeAgent(s.userAgent)}
                  </Text>
                </Table.Td>
                <Table.Td>{f.dateTime(s.createdAt)}</Table.Td>
                <Table.Td>{f.dateTime(s.lastSeenAt)}</Table.Td>
                <Table.Td>{f.dateTime(s.expiresAt)}</Table.Td>
                <Table.Td>{s.ip ?? '—'}</Table.Td>
                <Table.Td>
                  {!s.current && (
                    <Button size="xs" variant="light" color="red" onClick={() => void revoke.run(s.id)}>
                      {t('sessions.revoke')}
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </WideTable>
    </Card>
  );
}

const BROWSERS: [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
  [/curl\//, 'curl'],
];
const SYSTEMS: [RegExp, string][] = [
  [/Windows/, 'Windows'],
  [/iPhone|iPad/, 'iOS'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Android/, 'Android'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/** "Firefox · Windows" from a User-Agent header; the header itself when neither is recognised. */
function describeAgent(userAgent: string | null): string {
  if (!userAgent) return '—';
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1];
  if (!browser && !system) return userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent;
  return [browser, system].filter(Boolean).join(' · ');
}
