// Sets up a provider (`channel` null) or changes one: its name, its kind's settings, and its
// credentials. Credentials are write-only: a set one shows as "set" with a button to replace it,
// never its value; a change sends only the replaced ones (`secretsPatch`), keeping the others.
import {
  Badge,
  Button,
  Group,
  NumberInput,
  PasswordInput,
  Select,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../api/client.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useSubmit } from '../../components/useSubmit.ts';
import { CONFIG_FIELDS, PROVIDER_KINDS, type ProviderField, SECRET_FIELDS } from './catalogue.ts';
import { channelName, fieldLabel } from './labels.ts';
import type { NotificationChannel, ProviderKind } from './types.ts';

type Values = Record<string, string | number | boolean>;

/** A setting by its dotted path (`from.address`) in the stored settings. */
function read(config: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as never)[k] : undefined), config);
}

function initialValues(kind: ProviderKind, config: Record<string, unknown>): Values {
  const values: Values = {};
  for (const f of CONFIG_FIELDS[kind]) {
    const v = read(config, f.name);
    if (f.type === 'boolean') values[f.name] = v === true;
    else if (typeof v === 'string' || typeof v === 'number') values[f.name] = v;
    else values[f.name] = '';
  }
  return values;
}

/** The settings object the API takes: blanks left out, dotted names nested, switches always said. */
function configOf(kind: ProviderKind, values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS[kind]) {
    const raw = values[f.name];
    let v: unknown;
    if (f.type === 'boolean') v = raw === true;
    else if (f.type === 'number') v = raw === '' || raw === undefined ? undefined : Number(raw);
    else v = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
    if (v === undefined) continue;
    const path = f.name.split('.');
    let at = out;
    for (const part of path.slice(0, -1)) {
      at[part] ??= {};
      at = at[part] as Record<string, unknown>;
    }
    at[path[path.length - 1]!] = v;
  }
  return out;
}

/** The fields this form shows beside their errors (others go in the alert above it). */
const shownFields = (kind: ProviderKind) => [
  'kind',
  'name',
  ...CONFIG_FIELDS[kind].map((f) => `config.${f.name}`),
  ...SECRET_FIELDS[kind].map((f) => `secrets.${f.name}`),
];

export function ChannelForm(props: { channel: NotificationChannel | null; onSaved: () => void }) {
  const { t } = useTranslation();
  const existing = props.channel;
  const [kind, setKind] = useState<ProviderKind>(existing?.kind ?? 'email');
  const [name, setName] = useState(existing?.name ?? '');
  const [values, setValues] = useState<Values>(() => initialValues(kind, existing?.config ?? {}));
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  // Credentials already stored that the admin chose to replace (their inputs show).
  const [replacing, setReplacing] = useState<string[]>([]);
  const isSet = (field: string) => existing?.secretFields.includes(field) ?? false;

  const submit = useSubmit(async () => {
    const typed = Object.fromEntries(Object.entries(secrets).filter(([, v]) => v !== ''));
    const config = configOf(kind, values);
    if (existing) {
      await call(
        api.PATCH('/api/v1/notifications/channels/{id}', {
          params: { path: { id: existing.id } },
          body: {
            name: name.trim(),
            config,
            ...(Object.keys(typed).length > 0 ? { secretsPatch: typed } : {}),
          },
        }),
      );
    } else {
      await call(
        api.POST('/api/v1/notifications/channels', {
          body: { kind, name: name.trim(), config, secrets: typed },
        }),
      );
    }
    props.onSaved();
  }, shownFields(kind));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  const setSecret = (field: string, v: string) => setSecrets((prev) => ({ ...prev, [field]: v }));
  const setValue = (field: string, v: string | number | boolean) =>
    setValues((prev) => ({ ...prev, [field]: v }));

  const configInput = (f: ProviderField) => {
    const label = fieldLabel(t, f);
    const error = submit.fieldError(`config.${f.name}`);
    const v = values[f.name];
    if (f.type === 'boolean')
      return (
        <Switch
          key={f.name}
          label={label}
          checked={v === true}
          onChange={(e) => setValue(f.name, e.currentTarget.checked)}
          error={error}
        />
      );
    if (f.type === 'number')
      return (
        <NumberInput
          key={f.name}
          label={label}
          placeholder={f.placeholder}
          value={typeof v === 'number' || typeof v === 'string' ? v : ''}
          onChange={(n) => setValue(f.name, n)}
          allowDecimal={false}
          min={1}
          required={f.required}
          error={error}
        />
      );
    return (
      <TextInput
        key={f.name}
        label={label}
        placeholder={f.placeholder}
        value={typeof v === 'string' ? v : String(v ?? '')}
        onChange={(e) => setValue(f.name, e.currentTarget.value)}
        required={f.required}
        error={error}
      />
    );
  };

  const secretInput = (f: ProviderField) => {
    const label = fieldLabel(t, f);
    const error = submit.fieldError(`secrets.${f.name}`);
    if (isSet(f.name) && !replacing.includes(f.name))
      return (
        <Stack key={f.name} gap={4}>
          <Text size="sm" fw={500}>
            {label}
          </Text>
          <Group gap="xs">
            <Badge color="teal" variant="light">
              {t('notificationSetup.channels.secretSet')}
            </Badge>
            <Button
              size="compact-xs"
              variant="default"
              onClick={() => setReplacing((r) => [...r, f.name])}
              aria-label={t('notificationSetup.channels.replaceWho', { field: label })}
            >
              {t('notificationSetup.channels.replace')}
            </Button>
          </Group>
          {error && (
            <Text size="xs" c="red">
              {error}
            </Text>
          )}
        </Stack>
      );
    const common = {
      label,
      placeholder: f.placeholder,
      value: secrets[f.name] ?? '',
      required: f.required && !isSet(f.name),
      error,
      autoComplete: 'off',
    };
    return f.type === 'multiline' ? (
      <Textarea
        key={f.name}
        {...common}
        autosize
        minRows={3}
        maxRows={10}
        onChange={(e) => setSecret(f.name, e.currentTarget.value)}
      />
    ) : (
      <PasswordInput key={f.name} {...common} onChange={(e) => setSecret(f.name, e.currentTarget.value)} />
    );
  };

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      aria-label={existing ? t('notificationSetup.channels.change') : t('notificationSetup.channels.new')}
    >
      <Stack gap="sm">
        <ProblemAlert error={submit.formError} />
        <Select
          label={t('notificationSetup.channels.kind')}
          data={PROVIDER_KINDS.map((k) => ({ value: k, label: channelName(t, k) }))}
          value={kind}
          onChange={(k) => {
            if (!k) return;
            setKind(k as ProviderKind);
            setValues(initialValues(k as ProviderKind, {}));
            setSecrets({});
          }}
          allowDeselect={false}
          disabled={existing !== null}
          error={submit.fieldError('kind')}
        />
        <TextInput
          label={t('common.name')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={submit.fieldError('name')}
          required
        />
        {CONFIG_FIELDS[kind].length > 0 && (
          <>
            <Title order={5}>{t('notificationSetup.channels.settings')}</Title>
            {CONFIG_FIELDS[kind].map(configInput)}
          </>
        )}
        <Title order={5}>{t('notificationSetup.channels.credentials')}</Title>
        <Text size="xs" c="dimmed">
          {t('notificationSetup.channels.credentialsHelp')}
        </Text>
        {SECRET_FIELDS[kind].map(secretInput)}
        <Group>
          <Button type="submit" loading={submit.busy}>
            {existing ? t('common.save') : t('notificationSetup.channels.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
