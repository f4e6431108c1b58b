// The organization's settings: name, two-step verification for everyone, time zone, language and
// book currency; saved with If-Match. Read-only without organization:update.
import { Button, Card, Group, Select, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { LANGUAGES } from '../../i18n/index.ts';
import { useSession } from '../../session/SessionProvider.tsx';
import type { Organization } from './types.ts';

type Locale = (typeof LANGUAGES)[number]['code'];

export default function OrganizationPage() {
  const { t } = useTranslation();
  const org = useApiQuery(key('organization', 'OrganizationPage.org'), () =>
    call(api.GET('/api/v1/organization')),
  );
  return (
    <Stack>
      <Title order={2}>{t('admin.organization.title')}</Title>
      <ProblemAlert error={org.error} />
      {org.data && (
        <Card withBorder maw={640}>
          <OrganizationForm key={org.data.version} org={org.data} onSaved={(o) => org.setData(o)} />
        </Card>
      )}
    </Stack>
  );
}

function OrganizationForm({ org, onSaved }: { org: Organization; onSaved: (o: Organization) => void }) {
  const { t } = useTranslation();
  const { can, reload } = useSession();
  const editable = can('organization:update');
  const [name, setName] = useState(org.name);
  const [requireMfa, setRequireMfa] = useState(org.requireMfa);
  const [timezone, setTimezone] = useState(org.timezone);
  const [locale, setLocale] = useState<Locale>(org.locale as Locale);
  const [currency, setCurrency] = useState(org.currency);
  const [saved, setSaved] = useState(false);
  const submit = useSubmit(async () => {
    setSaved(false);
    const updated = await call(
      api.PATCH('/api/v1/organization', {
        headers: ifMatch(org.version),
        body: { name: name.trim(), requireMfa, timezone: timezone.trim(), locale, currency: currency.trim() },
      }),
    );
    setSaved(true);
    onSaved(updated);
    // The header shows the organization's name.
    await reload();
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  return (
    <form onSubmit={onSubmit} noValidate aria-label={t('admin.organization.title')}>
      <Stack>
        <ProblemAlert error={submit.formError} />
        <TextInput
          label={t('common.name')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={submit.fieldError('name')}
          readOnly={!editable}
          required
        />
        <TextInput label={t('admin.organization.subdomain')} value={org.subdomain} readOnly />
        <Switch
          label={t('admin.organization.requireMfa')}
          description={t('admin.organization.requireMfaHint')}
          checked={requireMfa}
          onChange={(e) => setRequireMfa(e.currentTarget.checked)}
          error={submit.fieldError('requireMfa')}
          disabled={!editable}
        />
        <TextInput
          label={t('admin.organization.timezone')}
          description={t('admin.organization.timezoneHint')}
          value={timezone}
          onChange={(e) => setTimezone(e.currentTarget.value)}
          error={submit.fieldError('timezone')}
          readOnly={!editable}
        />
        <Select
          label={t('admin.organization.locale')}
          data={LANGUAGES.map((l) => ({ value: l.code, label: l.label }))}
          value={locale}
          onChange={(v) => v && setLocale(v as Locale)}
          error={submit.fieldError('locale')}
          allowDeselect={false}
          disabled={!editable}
        />
        <TextInput
          label={t('admin.organization.currency')}
          description={t('admin.organization.currencyHint')}
          value={currency}
          onChange={(e) => setCurrency(e.currentTarget.value.toUpperCase())}
          error={submit.fieldError('currency')}
          maxLength={3}
          readOnly={!editable}
        />
        {editable && (
          <Group>
            <Button type="submit" loading={submit.busy}>
              {t('common.save')}
            </Button>
            {saved && (
              <Text size="sm" c="green" role="status">
                {t('admin.organization.saved')}
              </Text>
            )}
          </Group>
        )}
      </Stack>
    </form>
  );
}
