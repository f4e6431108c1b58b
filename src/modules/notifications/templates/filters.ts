// The filters BUL adds to notification templates: dates, statuses and durations shown in the
// recipient's language (and dates in their time zone), so a template never prints 2026-03-14 or
// on_hold to a Spanish reader. The language and time zone of a render reach the filters through
// a symbol-keyed global, which a template cannot name.
import type { FilterImplOptions, Liquid } from 'liquidjs';
import { LOCALES, type Locale } from '../../../platform/i18n/locale.ts';

export const RENDER_SETTINGS = Symbol('notification render settings');
export interface RenderSettings {
  language: Locale;
  /** IANA time zone of the recipient (dates with a time of day). */
  timeZone: string;
}

const DEFAULT_SETTINGS: RenderSettings = { language: 'en', timeZone: 'UTC' };

const STATUS_LABELS: Record<Locale, Record<string, string>> = {
  en: {
    planning: 'in planning',
    active: 'active',
    on_hold: 'on hold',
    completed: 'completed',
    cancelled: 'cancelled',
    pending: 'pending',
  },
  es: {
    planning: 'en planificación',
    active: 'activo',
    on_hold: 'en pausa',
    completed: 'completado',
    cancelled: 'cancelado',
    pending: 'pendiente',
  },
  'pt-BR': {
    planning: 'em planejamento',
    active: 'ativo',
    on_hold: 'em espera',
    completed: 'concluído',
    cancelled: 'cancelado',
    pending: 'pendente',
  },
};

function settingsOf(self: unknown): RenderSettings {
  const globals = (self as { context?: { globals?: Record<symbol, unknown> } }).context?.globals;
  const s = globals?.[RENDER_SETTINGS] as Partial<RenderSettings> | undefined;
  const language = s?.language && (LOCALES as readonly string[]).includes(s.language) ? s.language : 'en';
  return { language, timeZone: s?.timeZone ?? DEFAULT_SETTINGS.timeZone };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function formatDate(value: unknown, settings: RenderSettings, withTime: boolean): string {
  if (value === null || value === undefined || value === '') return '';
  const text = String(value);
  const isDay = DAY.test(text);
  const at = new Date(isDay ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(at.getTime())) return text;
  try {
    return new Intl.DateTimeFormat(settings.language, {
      dateStyle: 'long',
      ...(withTime && !isDay ? { timeStyle: 'short' } : {}),
      timeZone: isDay ? 'UTC' : settings.timeZone,
    }).format(at);
  } catch {
    // an unknown time zone: show the instant in UTC rather than fail the send
    return new Intl.DateTimeFormat(settings.language, { dateStyle: 'long', timeZone: 'UTC' }).format(at);
  }
}

function formatDuration(value: unknown, language: Locale): string {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) return String(value ?? '');
  const [amount, unit] =
    seconds >= 3600 && seconds % 3600 === 0
      ? [seconds / 3600, 'hour']
      : seconds >= 60
        ? [Math.round(seconds / 60), 'minute']
        : [seconds, 'second'];
  return new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: 'long' }).format(amount);
}

const FILTERS: Record<string, FilterImplOptions> = {
  /** `{{ resource.dueDate | local_date }}` → "14 de marzo de 2026". */
  local_date(value: unknown) {
    return formatDate(value, settingsOf(this), false);
  },
  /** `{{ event.occurredAt | local_datetime }}` → "12 de março de 2026 11:30" in the recipient's zone. */
  local_datetime(value: unknown) {
    return formatDate(value, settingsOf(this), true);
  },
  /** `{{ payload.to | status }}` → "completado"; unknown statuses shown with spaces for underscores. */
  status(value: unknown) {
    const key = String(value ?? '');
    return STATUS_LABELS[settingsOf(this).language][key] ?? key.replaceAll('_', ' ');
  },
  /** `{{ payload.lockedForSeconds | duration }}` → "15 minutos". */
  duration(value: unknown) {
    return formatDuration(value, settingsOf(this).language);
  },
};

export function registerNotificationFilters(liquid: Liquid): void {
  for (const [name, impl] of Object.entries(FILTERS)) liquid.registerFilter(name, impl);
}
