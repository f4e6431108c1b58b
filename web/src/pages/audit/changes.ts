// An audit event's changes in words. The API names each change by its stored column
// (`budget_minor: null → 1200000`); the page shows the field as the user knows it, in their
// language ("Budget: — → US$12,000.00"), and each value as the other pages show it: money, days,
// instants, yes/no, statuses, members by name. A key the catalogue does not know is named from the
// key itself ("unit_price" → "Unit price"), never left out.
import type { Format } from '../../format/format.ts';
import { formatBytes } from '../admin/formatBytes.ts';

/** `t` with keys made up at run time (the catalogue's types only know literal keys). */
export type Translate = (key: string, options?: { defaultValue?: string }) => string;

export interface ChangeLine {
  field: string;
  label: string;
  before: string;
  after: string;
}

/** Where the names of a resource's enumerated values are in the catalogue. */
const VALUE_NAMES: Record<string, string> = {
  'project.status': 'projects.status',
  'task.status': 'tasks.status',
  'task.priority': 'tasks.priorityValue',
  'client.status': 'clients.status',
  'invoice.status': 'business.invoices.states',
  'deal.stage': 'business.deals.stages',
  'contract.billing_interval': 'business.contracts.intervals',
  'membership.status': 'admin.members.status',
};

/** Fields that hold a user's id: shown as the member's name when it is known. */
const USER_FIELDS = new Set(['owner_id', 'assignee_id', 'user_id', 'userId']);

/** "estimate_minutes" → "Estimate minutes", "contentType" → "Content type". */
export function readableKey(key: string): string {
  const words = key
    .replace(/_minor$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\s-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The user ids a change names (its assignee, owner… before and after), to look their names up. */
export function userIdsIn(changes: Record<string, { before?: unknown; after?: unknown }> | null): string[] {
  return Object.entries(changes ?? {})
    .filter(([field]) => USER_FIELDS.has(field))
    .flatMap(([, c]) => [c.before, c.after])
    .filter((v): v is string => typeof v === 'string' && v !== '');
}

export function describeChanges(
  changes: Record<string, { before?: unknown; after?: unknown }>,
  context: {
    resourceType: string | null;
    t: Translate;
    f: Format;
    /** The organization's currency, for amounts whose change does not carry theirs. */
    currency: string | null;
    memberName: (userId: string) => string | undefined;
  },
): ChangeLine[] {
  const { t, f } = context;
  const own = changes.currency;
  const currency = [own?.after, own?.before, context.currency].find((c) => typeof c === 'string' && c) as
    | string
    | undefined;

  const show = (field: string, v: unknown): string => {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v === 'boolean') return v ? t('fields.yes') : t('fields.no');
    if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((x) => show(field, x)).join(', ');
    if (typeof v === 'number') {
      if (field.endsWith('_minor')) return currency ? f.money(v, currency) : f.number(v / 100);
      if (field === 'sizeBytes') return formatBytes(v, f.locale);
      return f.number(v);
    }
    if (typeof v === 'string') {
      if (USER_FIELDS.has(field)) return context.memberName(v) ?? v;
      if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return f.day(v);
      if (/^\d{4}-\d{2}-\d{2}T/.test(v)) return f.dateTime(v);
      const names = VALUE_NAMES[`${context.resourceType}.${field}`];
      return names ? t(`${names}.${v}`, { defaultValue: v }) : v;
    }
    return JSON.stringify(v);
  };

  return Object.entries(changes).map(([field, c]) => ({
    field,
    label: t(`fields.labels.${field}`, { defaultValue: readableKey(field) }),
    before: show(field, c.before),
    after: show(field, c.after),
  }));
}
