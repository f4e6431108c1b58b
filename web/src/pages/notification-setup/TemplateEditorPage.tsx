// The editor of one template (event × channel × language): subject and body (and the approved
// WhatsApp template for that channel), the event's variables inserted at the cursor, a live
// preview with the event's sample data (a template that does not parse shows its line and column
// beside the field), saving a new immutable version (with a note, published at once or not), and
// the versions: publish one, roll back to an older one, or go back to the built-in template.
import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  Grid,
  Group,
  ScrollArea,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { type FormEvent, type RefObject, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, call, ifMatch } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useProblemFields, useSubmit } from '../../components/useSubmit.ts';
import { WideTable } from '../../components/WideTable.tsx';
import { useFormat } from '../../format/useFormat.ts';
import { DELIVERY_CHANNELS, NO_SUBJECT } from './catalogue.ts';
import { channelName } from './labels.ts';
import { languageName } from './TemplatesPage.tsx';
import type { DeliveryChannel, TemplateLanguage, TemplateVersion, WhatsappTemplate } from './types.ts';

const LANGUAGE_CODES: readonly TemplateLanguage[] = ['en', 'es', 'pt-BR'];
const PREVIEW_DELAY_MS = 400;

/** Where a variable goes when clicked: the field that last had the focus. */
type Target = 'subject' | 'body' | number;

export default function TemplateEditorPage() {
  const { t } = useTranslation();
  const params = useParams();
  const eventType = params.eventType ?? '';
  const channel = params.channel as DeliveryChannel;
  const language = params.language as TemplateLanguage;
  if (!DELIVERY_CHANNELS.includes(channel) || !LANGUAGE_CODES.includes(language))
    return (
      <Stack>
        <Title order={2}>{t('notificationSetup.templates.editorTitle')}</Title>
        <Alert color="red">{t('notificationSetup.templates.unknown')}</Alert>
      </Stack>
    );
  return (
    <Editor
      key={`${eventType}|${channel}|${language}`}
      eventType={eventType}
      channel={channel}
      language={language}
    />
  );
}

function Editor(props: { eventType: string; channel: DeliveryChannel; language: TemplateLanguage }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { eventType, channel, language } = props;
  const hasSubject = !NO_SUBJECT.includes(channel);
  const isWhatsapp = channel === 'whatsapp';

  const list = useApiQuery(key('notification-setup', 'templates', eventType), () =>
    call(api.GET('/api/v1/notifications/templates', { params: { query: { eventType } } })),
  );
  const entry = list.data?.items.find((i) => i.channel === channel && i.language === language) ?? null;
  const templateId = entry?.templateId ?? null;
  const detail = useApiQuery(
    key('notification-setup', 'template', templateId),
    () =>
      call(api.GET('/api/v1/notifications/templates/{id}', { params: { path: { id: templateId ?? '' } } })),
    { enabled: templateId !== null },
  );
  // Without a version of its own, editing starts from BUL's built-in text (what is sent meanwhile).
  const builtin = useApiQuery(
    key('notification-setup', 'builtin', eventType, channel, language),
    () =>
      call(
        api.GET('/api/v1/notifications/templates/builtin', {
          params: { query: { eventType, channel, language } },
        }),
      ),
    { enabled: list.data !== null && templateId === null },
  );
  const variables = useApiQuery(key('notification-setup', 'variables', eventType), () =>
    call(api.GET('/api/v1/notifications/templates/variables', { params: { query: { eventType } } })),
  );

  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [wa, setWa] = useState<WhatsappTemplate>({ name: '', language: '', parameters: [] });
  const [note, setNote] = useState('');
  const [publish, setPublish] = useState(true);
  const [loaded, setLoaded] = useState(false);
  const [saved, setSaved] = useState<number | null>(null);

  const load = (v: TemplateVersion) => {
    setSubject(v.subject ?? '');
    setBody(v.body);
    setWa(v.whatsappTemplate ?? { name: '', language: '', parameters: [] });
  };
  // The latest version is where editing starts (once: a reload after saving keeps what is typed).
  useEffect(() => {
    const start = detail.data?.versions[0] ?? (templateId === null ? builtin.data : undefined);
    if (!loaded && start) {
      setSubject(start.subject ?? '');
      setBody(start.body);
      setWa(start.whatsappTemplate ?? { name: '', language: '', parameters: [] });
      setLoaded(true);
    }
  }, [detail.data, builtin.data, templateId, loaded]);

  // Until the text editing starts from is in, the fields wait: text arriving while someone types
  // would land in front of what they typed. A failed load leaves them free (to write from scratch).
  const waiting =
    !loaded &&
    (templateId !== null ? detail.data === null && !detail.error : builtin.data === null && !builtin.error);

  const content = {
    eventType,
    channel,
    language,
    subject: hasSubject && subject !== '' ? subject : null,
    body,
    whatsappTemplate: isWhatsapp && wa.name !== '' ? wa : null,
  };
  // Debounced as text: `content` is a new object on every render, and a debounce keyed on it would
  // restart with each render (a page re-rendering more often than the delay never previewed).
  const [debouncedText] = useDebouncedValue(JSON.stringify(content), PREVIEW_DELAY_MS);
  const debounced = useMemo(() => JSON.parse(debouncedText) as typeof content, [debouncedText]);
  const preview = useApiQuery(
    key('notification-setup', 'preview', debounced),
    () => call(api.POST('/api/v1/notifications/templates/preview', { body: debounced })),
    { enabled: debounced.body.trim() !== '' },
  );

  const fields = [
    'subject',
    'body',
    'note',
    'whatsappTemplate',
    'whatsappTemplate.name',
    'whatsappTemplate.language',
    ...wa.parameters.map((_, i) => `whatsappTemplate.parameters.${i}`),
  ];
  const previewProblems = useProblemFields(preview.error, fields);
  const submit = useSubmit(async () => {
    const r = await call(
      api.POST('/api/v1/notifications/templates/versions', {
        body: { ...content, note: note.trim(), publish },
      }),
    );
    setNote('');
    setSaved(r.version.number);
    await list.reload();
    if (templateId) await detail.reload();
  }, fields);
  // A problem of the last save, else of the live preview, beside its field.
  const errorOf = (field: string) => submit.fieldError(field) ?? previewProblems.fieldError(field);

  const subjectRef = useRef<HTMLInputElement>(null);
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const paramRefs = useRef<(HTMLInputElement | null)[]>([]);
  const [target, setTarget] = useState<Target>('body');
  const insert = (name: string) => {
    const text = `{{ ${name} }}`;
    const el =
      target === 'subject'
        ? subjectRef.current
        : target === 'body'
          ? bodyRef.current
          : paramRefs.current[target];
    const current = target === 'subject' ? subject : target === 'body' ? body : (wa.parameters[target] ?? '');
    const start = el?.selectionStart ?? current.length;
    const end = el?.selectionEnd ?? current.length;
    const next = current.slice(0, start) + text + current.slice(end);
    setLoaded(true);
    if (target === 'subject') setSubject(next);
    else if (target === 'body') setBody(next);
    else setWa((w) => ({ ...w, parameters: w.parameters.map((p, i) => (i === target ? next : p)) }));
    // The caret goes after what was inserted, in the field it was inserted in.
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + text.length, start + text.length);
    });
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run();
  };
  const heading = `${eventType} · ${channelName(t, channel)} · ${languageName(language)}`;

  return (
    <Stack>
      <Anchor component={Link} to="/notifications/setup/templates" size="sm">
        ← {t('notificationSetup.templates.title')}
      </Anchor>
      <Title order={2}>{t('notificationSetup.templates.editorTitle')}</Title>
      <Text fw={500}>{heading}</Text>
      <ProblemAlert error={list.error ?? detail.error} />
      {entry?.source !== 'organization' && list.data && (
        <Text size="sm" c="dimmed">
          {entry?.source === 'builtin'
            ? t('notificationSetup.templates.builtinNote')
            : t('notificationSetup.templates.noBuiltinNote')}
        </Text>
      )}
      <Grid>
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Card withBorder>
            <form onSubmit={onSubmit} noValidate aria-label={t('notificationSetup.templates.editorTitle')}>
              <Stack gap="sm">
                <ProblemAlert error={submit.formError} />
                {hasSubject && (
                  <TextInput
                    ref={subjectRef}
                    label={t('notificationSetup.templates.subject')}
                    value={subject}
                    onChange={(e) => {
                      // What the admin types is never replaced by text that loads later.
                      setLoaded(true);
                      setSubject(e.currentTarget.value);
                    }}
                    onFocus={() => setTarget('subject')}
                    disabled={waiting}
                    error={errorOf('subject')}
                    styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                  />
                )}
                <Textarea
                  ref={bodyRef}
                  label={t('notificationSetup.templates.body')}
                  description={t('notificationSetup.templates.bodyHelp', {
                    example: '{{ variable }}, {% if %}…{% endif %}',
                  })}
                  value={body}
                  onChange={(e) => {
                    setLoaded(true);
                    setBody(e.currentTarget.value);
                  }}
                  onFocus={() => setTarget('body')}
                  disabled={waiting}
                  error={errorOf('body')}
                  autosize
                  minRows={8}
                  maxRows={24}
                  required
                  styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                />
                {isWhatsapp && (
                  <WhatsappFields
                    value={wa}
                    onChange={setWa}
                    errorOf={errorOf}
                    paramRefs={paramRefs}
                    onFocusParam={(i) => setTarget(i)}
                  />
                )}
                <TextInput
                  label={t('notificationSetup.templates.note')}
                  description={t('notificationSetup.templates.noteHelp')}
                  value={note}
                  onChange={(e) => setNote(e.currentTarget.value)}
                  error={errorOf('note')}
                />
                <Checkbox
                  label={t('notificationSetup.templates.publishNow')}
                  checked={publish}
                  onChange={(e) => setPublish(e.currentTarget.checked)}
                />
                <Group>
                  <Button type="submit" loading={submit.busy}>
                    {t('notificationSetup.templates.saveVersion')}
                  </Button>
                  {saved !== null && (
                    <Text size="sm" c="teal" role="status">
                      {t('notificationSetup.templates.savedN', { n: saved })}
                    </Text>
                  )}
                </Group>
              </Stack>
            </form>
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Card withBorder>
            <Title order={4} mb={4}>
              {t('notificationSetup.templates.variables')}
            </Title>
            <Text size="xs" c="dimmed" mb="xs">
              {t('notificationSetup.templates.variablesHelp')}
            </Text>
            <ProblemAlert error={variables.error} />
            <ScrollArea.Autosize mah={420} type="auto" scrollbars="y">
              <Stack gap={6} data-testid="template-variables">
                {(variables.data?.items ?? []).map((v) => (
                  <UnstyledButton
                    key={v.name}
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => insert(v.name)}
                    aria-label={t('notificationSetup.templates.insert', { name: v.name })}
                  >
                    <Code style={{ wordBreak: 'break-all' }}>{`{{ ${v.name} }}`}</Code>
                    <Text size="xs" c="dimmed" style={{ wordBreak: 'break-word' }}>
                      {v.description}
                      {v.example ? ` — ${v.example}` : ''}
                    </Text>
                  </UnstyledButton>
                ))}
              </Stack>
            </ScrollArea.Autosize>
          </Card>
        </Grid.Col>
      </Grid>
      <Card withBorder>
        <Title order={4} mb="xs">
          {t('notificationSetup.templates.preview')}
        </Title>
        {debounced.body.trim() === '' ? (
          <Text size="sm" c="dimmed">
            {t('notificationSetup.templates.previewEmpty')}
          </Text>
        ) : preview.error ? (
          <Text size="sm" c="red" data-testid="template-preview-error">
            {t('notificationSetup.templates.previewFailed')}
          </Text>
        ) : (
          preview.data && (
            <Stack gap="xs" data-testid="template-preview">
              {preview.data.subject !== null && (
                <Text fw={600}>
                  {t('notificationSetup.templates.subject')}: {preview.data.subject}
                </Text>
              )}
              {preview.data.html !== null ? (
                <iframe
                  title={t('notificationSetup.templates.previewHtml')}
                  srcDoc={preview.data.html}
                  sandbox=""
                  style={{ width: '100%', height: 360, border: '1px solid var(--mantine-color-gray-3)' }}
                />
              ) : (
                <Code block style={{ whiteSpace: 'pre-wrap' }}>
                  {preview.data.text}
                </Code>
              )}
              {preview.data.whatsappTemplate && (
                <Text size="sm">
                  {preview.data.whatsappTemplate.name} ({preview.data.whatsappTemplate.language}):{' '}
                  {preview.data.whatsappTemplate.parameters.join(' | ')}
                </Text>
              )}
            </Stack>
          )
        )}
      </Card>
      {templateId && detail.data && (
        <Versions
          templateId={templateId}
          version={detail.data.version}
          published={detail.data.publishedVersion}
          versions={detail.data.versions}
          onOpen={load}
          onChanged={async () => {
            await detail.reload();
            await list.reload();
          }}
          when={f.dateTime}
        />
      )}
    </Stack>
  );
}

function WhatsappFields(props: {
  value: WhatsappTemplate;
  onChange: (next: WhatsappTemplate) => void;
  errorOf: (field: string) => string | undefined;
  paramRefs: RefObject<(HTMLInputElement | null)[]>;
  onFocusParam: (i: number) => void;
}) {
  const { t } = useTranslation();
  const { value, onChange, errorOf } = props;
  const setParam = (i: number, text: string) =>
    onChange({ ...value, parameters: value.parameters.map((p, j) => (j === i ? text : p)) });
  return (
    <Stack gap="xs">
      <Title order={5}>{t('notificationSetup.templates.whatsapp')}</Title>
      <Text size="xs" c="dimmed">
        {t('notificationSetup.templates.whatsappHelp')}
      </Text>
      <Group grow align="start">
        <TextInput
          label={t('notificationSetup.templates.whatsappName')}
          value={value.name}
          onChange={(e) => onChange({ ...value, name: e.currentTarget.value })}
          error={errorOf('whatsappTemplate.name') ?? errorOf('whatsappTemplate')}
        />
        <TextInput
          label={t('notificationSetup.templates.whatsappLanguage')}
          placeholder="es"
          value={value.language}
          onChange={(e) => onChange({ ...value, language: e.currentTarget.value })}
          error={errorOf('whatsappTemplate.language')}
        />
      </Group>
      {value.parameters.map((p, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: parameters are positional
        <Group key={i} gap="xs" align="end" wrap="nowrap">
          <TextInput
            ref={(el) => {
              props.paramRefs.current[i] = el;
            }}
            style={{ flex: 1 }}
            label={t('notificationSetup.templates.parameterN', { n: i + 1 })}
            value={p}
            onChange={(e) => setParam(i, e.currentTarget.value)}
            onFocus={() => props.onFocusParam(i)}
            error={errorOf(`whatsappTemplate.parameters.${i}`)}
          />
          <ActionIcon
            variant="default"
            mb={4}
            aria-label={t('notificationSetup.templates.removeParameter', { n: i + 1 })}
            onClick={() => onChange({ ...value, parameters: value.parameters.filter((_, j) => j !== i) })}
          >
            ×
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button
          size="xs"
          variant="default"
          onClick={() => onChange({ ...value, parameters: [...value.parameters, ''] })}
        >
          {t('notificationSetup.templates.addParameter')}
        </Button>
      </Group>
    </Stack>
  );
}

/** The template's versions, newest first: publish one (an older one rolls back), or unpublish. */
function Versions(props: {
  templateId: string;
  version: number;
  published: number | null;
  versions: TemplateVersion[];
  onOpen: (v: TemplateVersion) => void;
  onChanged: () => Promise<void>;
  when: (iso: string) => string;
}) {
  const { t } = useTranslation();
  const path = { params: { path: { id: props.templateId } }, headers: ifMatch(props.version) };
  const act = useSubmit(async (number: number | null) => {
    if (number === null) await call(api.POST('/api/v1/notifications/templates/{id}/unpublish', path));
    else
      await call(
        api.POST('/api/v1/notifications/templates/{id}/publish', { ...path, body: { version: number } }),
      );
    await props.onChanged();
  });
  return (
    <Card withBorder>
      <Title order={4} mb="xs">
        {t('notificationSetup.templates.versions')}
      </Title>
      <ProblemAlert error={act.error} />
      <WideTable minWidth={640}>
        <Table verticalSpacing="xs" data-testid="template-versions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('notificationSetup.templates.version')}</Table.Th>
              <Table.Th>{t('notificationSetup.templates.note')}</Table.Th>
              <Table.Th>{t('notificationSetup.templates.savedAt')}</Table.Th>
              <Table.Th>{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {props.versions.map((v) => (
              <Table.Tr key={v.number} data-version={v.number}>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Text size="sm">{t('notificationSetup.templates.versionN', { n: v.number })}</Text>
                    {v.published && (
                      <Badge color="teal" variant="light">
                        {t('notificationSetup.templates.published')}
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{v.note || '—'}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{props.when(v.createdAt)}</Text>
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button size="xs" variant="default" onClick={() => props.onOpen(v)}>
                      {t('notificationSetup.templates.openVersion')}
                    </Button>
                    {v.published ? (
                      <Button
                        size="xs"
                        variant="light"
                        color="orange"
                        loading={act.busy}
                        onClick={() => void act.run(null)}
                      >
                        {t('notificationSetup.templates.unpublish')}
                      </Button>
                    ) : (
                      <Button
                        size="xs"
                        variant="light"
                        loading={act.busy}
                        onClick={() => void act.run(v.number)}
                      >
                        {props.published !== null && v.number < props.published
                          ? t('notificationSetup.templates.rollback')
                          : t('notificationSetup.templates.publish')}
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </WideTable>
    </Card>
  );
}
