// The variables a notification template can use, per event type: the common ones every
// notification has, `payload.<field>` for each field of the event's payload schema (the event
// catalogue, plus the few events only notifications know), and `resource`, the summary of the
// resource the pipeline loads. Documented for the template editor and filled with realistic sample
// values per language for previews and the trial render at save (engine check()).
import { type TSchema, Type } from 'typebox';
import { EVENT_CATALOGUE, isEventType } from '../../../platform/events/catalogue.ts';
import type { Locale } from '../../../platform/i18n/locale.ts';

export interface VariableDoc {
  /** The dotted path a template writes, e.g. `payload.assigneeId`. */
  name: string;
  description: string;
  /** The English sample value, as text. */
  example: string;
}

const Id = Type.String({ format: 'uuid' });

/** Events that exist only for notifications (the pipeline makes them, the outbox never carries them). */
export const NOTIFICATION_EVENTS = {
  'task.due_soon': {
    description: "A task is due soon (the daily scan in the organization's time zone).",
    payload: Type.Object({
      id: Id,
      projectId: Id,
      dueDate: Type.String({ format: 'date', description: 'the day the task is due (YYYY-MM-DD)' }),
      assigneeId: Type.Union([Id, Type.Null()], { description: "the assignee's user id" }),
    }),
  },
  'notification.test': {
    description: 'A test message of a channel ("send test").',
    payload: Type.Object({
      channel: Type.String({ description: 'the channel being tested (email, sms...)' }),
    }),
  },
  'message.custom': {
    description: 'A one-off message sent through the API.',
    payload: Type.Object({
      subject: Type.String({ description: "the message's subject as the sender wrote it" }),
      body: Type.String({ description: "the message's text as the sender wrote it" }),
    }),
  },
} as const;

const COMMON: readonly Omit<VariableDoc, 'example'>[] = [
  { name: 'event.id', description: "The event's id (UUID)." },
  { name: 'event.type', description: 'The event type, e.g. task.assigned.' },
  { name: 'event.occurredAt', description: 'When the event happened (ISO 8601); use `| local_datetime`.' },
  { name: 'actor.name', description: 'Who caused the event (a user or API key name); empty for BUL itself.' },
  { name: 'recipient.name', description: "The recipient's name." },
  { name: 'recipient.email', description: "The recipient's e-mail address." },
  { name: 'org.name', description: "The organization's name." },
  { name: 'link', description: 'The URL of the resource in the web app.' },
  { name: 'unsubscribeUrl', description: 'One-click unsubscribe URL (empty where the channel has none).' },
  { name: 'priority', description: 'critical, high, normal or low.' },
];

/** Descriptions for payload fields whose schema has none. */
const FIELD_DESCRIPTIONS: Record<string, string> = {
  id: "the resource's id",
  projectId: "the project's id",
  taskId: "the task's id",
  clientId: "the client's id",
  assigneeId: "the new assignee's user id (null: unassigned)",
  previousAssigneeId: "the previous assignee's user id (null: none)",
  authorId: "the author's user id (null: not a user)",
  from: 'the status before (e.g. active)',
  to: 'the status after (e.g. completed)',
  status: 'the status (e.g. pending)',
  fields: 'the fields that changed',
  email: 'the invited e-mail address',
  roleId: "the role's id",
  previousRoleId: "the previous role's id",
  reason: 'why it failed (a code, e.g. wrong_password)',
  lockedForSeconds: 'for how long sign-in is locked, in seconds (use `| duration`)',
  enabled: 'true when turned on, false when turned off',
  url: "the endpoint's URL",
};

type ResourceKind = 'task' | 'project' | 'comment' | 'named' | 'user' | null;

function resourceKind(eventType: string): ResourceKind {
  const prefix = eventType.split('.')[0];
  switch (prefix) {
    case 'task':
      return 'task';
    case 'project':
      return 'project';
    case 'comment':
      return 'comment';
    case 'client':
    case 'contract':
    case 'invoice':
    case 'deal':
    case 'milestone':
      return 'named';
    case 'member':
    case 'role':
    case 'security':
      return 'user';
    default:
      return null;
  }
}

const RESOURCE_DOCS: Record<Exclude<ResourceKind, null>, readonly Omit<VariableDoc, 'example'>[]> = {
  task: [
    { name: 'resource.title', description: "The task's title." },
    { name: 'resource.status', description: "The task's status (use `| status`)." },
    {
      name: 'resource.dueDate',
      description: "The task's due day, YYYY-MM-DD or empty (use `| local_date`).",
    },
    { name: 'resource.projectName', description: "The name of the task's project." },
  ],
  project: [
    { name: 'resource.name', description: "The project's name." },
    { name: 'resource.status', description: "The project's status (use `| status`)." },
  ],
  comment: [
    { name: 'resource.title', description: 'The title of the task commented on.' },
    { name: 'resource.excerpt', description: "The comment's beginning (at most 200 characters)." },
  ],
  named: [{ name: 'resource.name', description: "The resource's name." }],
  user: [{ name: 'resource.name', description: "The user's name." }],
};

function payloadSchema(eventType: string): TSchema | null {
  if (Object.hasOwn(EVENT_CATALOGUE, eventType))
    return EVENT_CATALOGUE[eventType as keyof typeof EVENT_CATALOGUE].payload;
  if (Object.hasOwn(NOTIFICATION_EVENTS, eventType))
    return NOTIFICATION_EVENTS[eventType as keyof typeof NOTIFICATION_EVENTS].payload;
  return null;
}

function payloadFields(eventType: string): { name: string; description: string }[] {
  const schema = payloadSchema(eventType) as { properties?: Record<string, TSchema> } | null;
  return Object.entries(schema?.properties ?? {}).map(([name, field]) => ({
    name,
    description:
      (field as { description?: string }).description ?? FIELD_DESCRIPTIONS[name] ?? `the event's ${name}`,
  }));
}

/** Every variable a template of `eventType` can use; unknown types get the common ones only. */
export function variablesOf(eventType: string): VariableDoc[] {
  const docs: Omit<VariableDoc, 'example'>[] = [...COMMON];
  for (const f of payloadFields(eventType))
    docs.push({ name: `payload.${f.name}`, description: capitalize(f.description) });
  const kind = resourceKind(eventType);
  if (kind) docs.push(...RESOURCE_DOCS[kind]);
  const sample = sampleVariables(eventType, 'en');
  return docs.map((d) => ({ ...d, example: exampleText(lookup(sample, d.name)) }));
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1) + (s.endsWith('.') ? '' : '.');

function lookup(scope: Record<string, unknown>, path: string): unknown {
  let value: unknown = scope;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function exampleText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

// ---- Sample values ---------------------------------------------------------------------------

interface LanguageSamples {
  actor: string;
  recipient: string;
  email: string;
  org: string;
  taskTitle: string;
  projectName: string;
  commentExcerpt: string;
  clientName: string;
  memberName: string;
  customSubject: string;
  customBody: string;
}

const SAMPLES: Record<Locale, LanguageSamples> = {
  en: {
    actor: 'Alex Morgan',
    recipient: 'Jordan Lee',
    email: 'jordan.lee@example.com',
    org: 'Northwind Studio',
    taskTitle: 'Review the Q3 budget',
    projectName: 'Website redesign',
    commentExcerpt: 'I updated the figures for September; could you check the travel line?',
    clientName: 'Contoso Ltd.',
    memberName: 'Sam Rivera',
    customSubject: 'Office closed on Friday',
    customBody: 'The office will be closed this Friday. Support stays available online.',
  },
  es: {
    actor: 'María José Núñez',
    recipient: 'Andrés Gómez',
    email: 'andres.gomez@example.com',
    org: 'Estudio Añil',
    taskTitle: 'Revisar el presupuesto del tercer trimestre',
    projectName: 'Rediseño del sitio web',
    commentExcerpt: 'Actualicé las cifras de septiembre; ¿puedes revisar la partida de viajes?',
    clientName: 'Construcciones Peñalver S.A.',
    memberName: 'Lucía Martín',
    customSubject: 'La oficina cierra el viernes',
    customBody: 'La oficina estará cerrada este viernes. El soporte sigue disponible en línea.',
  },
  'pt-BR': {
    actor: 'João Conceição',
    recipient: 'Luíza Araújo',
    email: 'luiza.araujo@example.com',
    org: 'Ateliê Ipê',
    taskTitle: 'Revisar o orçamento do 3º trimestre',
    projectName: 'Reformulação do site',
    commentExcerpt: 'Atualizei os números de setembro; você pode conferir a linha de viagens?',
    clientName: 'Construtora São Jorge Ltda.',
    memberName: 'Márcio Gonçalves',
    customSubject: 'Escritório fechado na sexta-feira',
    customBody: 'O escritório ficará fechado nesta sexta-feira. O suporte continua disponível on-line.',
  },
};

const SAMPLE_IDS = {
  event: '01960f2a-7c3e-7b21-9d4f-3a5b6c7d8e9f',
  resource: '0195f3c1-2b4a-7e10-8c2d-1f2e3d4c5b6a',
  project: '0195f3c0-9a1b-7c20-8d3e-4f5a6b7c8d9e',
  task: '0195f3c1-2b4a-7e10-8c2d-1f2e3d4c5b6a',
  user: '0195e8d4-5f6a-7b3c-9d2e-8a7b6c5d4e3f',
  other: '0195e8d4-1a2b-7c3d-8e4f-5a6b7c8d9e0f',
};
const SAMPLE_DAY = '2026-03-14';
const SAMPLE_INSTANT = '2026-03-12T14:30:00.000Z';
const BASE_URL = 'https://bul.example.com';

/** The payload `id` of a sample event: the id of what the event is about. */
function sampleId(eventType: string): string {
  const kind = resourceKind(eventType);
  if (kind === 'task') return SAMPLE_IDS.task;
  if (kind === 'project') return SAMPLE_IDS.project;
  if (kind === 'comment') return SAMPLE_IDS.other;
  if (kind === 'user') return SAMPLE_IDS.user;
  return SAMPLE_IDS.resource;
}

function samplePayloadValue(eventType: string, field: string, s: LanguageSamples): unknown {
  switch (field) {
    case 'id':
      return sampleId(eventType);
    case 'projectId':
      return SAMPLE_IDS.project;
    case 'taskId':
      return SAMPLE_IDS.task;
    case 'assigneeId':
      return SAMPLE_IDS.user;
    case 'previousAssigneeId':
      return null;
    case 'authorId':
    case 'clientId':
    case 'roleId':
    case 'previousRoleId':
      return SAMPLE_IDS.other;
    case 'from':
      return 'active';
    case 'to':
    case 'status':
      return 'completed';
    case 'fields':
      return ['title', 'dueDate'];
    case 'email':
      return 'new.member@example.com';
    case 'reason':
      return eventType === 'webhook.endpoint_disabled' ? 'failing' : 'wrong_password';
    case 'lockedForSeconds':
      return 900;
    case 'enabled':
      return true;
    case 'url':
      return 'https://hooks.example.com/bul';
    case 'failingSince':
      return '2026-03-07T09:15:00.000Z';
    case 'dueDate':
      return SAMPLE_DAY;
    case 'channel':
      return 'email';
    case 'subject':
      return s.customSubject;
    case 'body':
      return s.customBody;
    case 'ip':
      return '203.0.113.7';
    case 'network':
      return '203.0.113.0/24';
    case 'country':
      return 'BR';
    case 'device':
      return 'Firefox on Linux';
    case 'newOrigins':
      return ['network', 'device'];
    default:
      return field;
  }
}

function sampleResource(
  kind: ResourceKind,
  eventType: string,
  s: LanguageSamples,
): Record<string, unknown> | null {
  switch (kind) {
    case 'task':
      return { title: s.taskTitle, status: 'active', dueDate: SAMPLE_DAY, projectName: s.projectName };
    case 'project':
      return { name: s.projectName, status: eventType === 'project.status_changed' ? 'completed' : 'active' };
    case 'comment':
      return { title: s.taskTitle, excerpt: s.commentExcerpt };
    case 'named':
      return { name: s.clientName };
    case 'user':
      return { name: eventType === 'member.joined' ? s.memberName : s.recipient };
    default:
      return null;
  }
}

function sampleLink(eventType: string): string {
  if (eventType.startsWith('task.') || eventType.startsWith('comment.'))
    return `${BASE_URL}/tasks/${SAMPLE_IDS.task}`;
  if (eventType.startsWith('project.')) return `${BASE_URL}/projects/${SAMPLE_IDS.project}`;
  if (eventType.startsWith('security.')) return `${BASE_URL}/account/security`;
  if (eventType.startsWith('webhook.')) return `${BASE_URL}/settings/webhooks`;
  if (eventType.startsWith('member.') || eventType.startsWith('role.')) return `${BASE_URL}/settings/members`;
  return BASE_URL;
}

/** Realistic values for every variable of `eventType`, in `language` (previews, check at save). */
export function sampleVariables(eventType: string, language: Locale): Record<string, unknown> {
  const s = SAMPLES[language] ?? SAMPLES.en;
  const vars: Record<string, unknown> = {
    event: { id: SAMPLE_IDS.event, type: eventType, occurredAt: SAMPLE_INSTANT },
    actor: { name: s.actor },
    recipient: { name: s.recipient, email: s.email },
    org: { name: s.org },
    link: sampleLink(eventType),
    unsubscribeUrl: `${BASE_URL}/api/v1/notifications/unsubscribe?token=sample`,
    priority: eventType.startsWith('security.') ? 'high' : 'normal',
    payload: Object.fromEntries(
      payloadFields(eventType).map((f) => [f.name, samplePayloadValue(eventType, f.name, s)]),
    ),
  };
  const resource = sampleResource(resourceKind(eventType), eventType, s);
  if (resource) vars.resource = resource;
  return vars;
}

/** Catalogued domain events, and those only notifications know (notification.test, message.custom). */
export const isTemplateEventType = (type: string): boolean =>
  isEventType(type) || Object.hasOwn(NOTIFICATION_EVENTS, type);
