// Human text that the API answers in the request's language. A service throws a message as a key
// with parameters (never as English prose); the HTTP layer renders it for the negotiated locale,
// formatting dates, numbers and lists with Intl. Each catalogue is defined next to its users with
// defineMessages(); test/i18n.test.ts fails when a text lacks a language or a placeholder.
import { DEFAULT_LOCALE, LOCALES, type Locale } from './locale.ts';

export type Texts = Readonly<Record<Locale, string>>;

/** A calendar day (YYYY-MM-DD) shown as a date of the language, e.g. "1 de diciembre de 2026". */
export interface DayParam {
  day: string;
}
/** Items shown as a list of the language ("a, b and c" / "a, b y c"; with `or`: "a or b" / "a o b"). */
export interface ListParam {
  list: readonly (string | Msg)[];
  or?: boolean;
}
/** Text shown as is (ids, codes, names, numbers that are not quantities such as years). */
export type Param = string | number | DayParam | ListParam | Msg;

export interface Msg {
  readonly key: string;
  readonly texts: Texts;
  readonly params: Readonly<Record<string, Param>>;
}

export type MessageFactory = (params?: Record<string, Param>) => Msg;

/** Every catalogue defined so far, by scope (read by the drift test). */
export const MESSAGE_CATALOGUES = new Map<string, Readonly<Record<string, Texts>>>();

/** A catalogue of texts, each in every locale, with `{name}` placeholders for its parameters. */
export function defineMessages<const T extends Record<string, Texts>>(
  scope: string,
  texts: T,
): { readonly [K in keyof T]: MessageFactory } {
  if (MESSAGE_CATALOGUES.has(scope)) throw new Error(`message scope "${scope}" defined twice`);
  MESSAGE_CATALOGUES.set(scope, texts);
  const out: Record<string, MessageFactory> = {};
  for (const [name, t] of Object.entries(texts)) {
    out[name] = (params = {}) => ({ key: `${scope}.${name}`, texts: t, params });
  }
  return out as { readonly [K in keyof T]: MessageFactory };
}

export const isMsg = (v: unknown): v is Msg =>
  typeof v === 'object' && v !== null && 'texts' in v && 'key' in v && 'params' in v;

const numberFormats = new Map<Locale, Intl.NumberFormat>();
const dayFormats = new Map<Locale, Intl.DateTimeFormat>();
const listFormats = new Map<Locale, Intl.ListFormat>();
const orListFormats = new Map<Locale, Intl.ListFormat>();

function cached<F>(map: Map<Locale, F>, locale: Locale, make: () => F): F {
  let f = map.get(locale);
  if (!f) {
    f = make();
    map.set(locale, f);
  }
  return f;
}

function formatParam(value: Param, locale: Locale): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number')
    return cached(numberFormats, locale, () => new Intl.NumberFormat(locale)).format(value);
  if (isMsg(value)) return render(value, locale);
  if ('day' in value) {
    const d = /^\d{4}-\d{2}-\d{2}$/.test(value.day) ? new Date(`${value.day}T00:00:00Z`) : null;
    if (!d || Number.isNaN(d.getTime())) return value.day;
    return cached(
      dayFormats,
      locale,
      () => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }),
    ).format(d);
  }
  const type = value.or ? 'disjunction' : 'conjunction';
  return cached(
    value.or ? orListFormats : listFormats,
    locale,
    () => new Intl.ListFormat(locale, { style: 'long', type }),
  ).format(value.list.map((item) => (isMsg(item) ? render(item, locale) : item)));
}

/** The message in a locale: its text with each `{name}` replaced by the formatted parameter. */
export function render(m: Msg, locale: Locale = DEFAULT_LOCALE): string {
  const text = m.texts[locale] ?? m.texts[DEFAULT_LOCALE];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = m.params[name];
    return v === undefined ? whole : formatParam(v, locale);
  });
}

/** The placeholders of a text, for the drift test. */
export const placeholders = (text: string): string[] =>
  [...text.matchAll(/\{(\w+)\}/g)].map((x) => x[1]!).sort();

export { LOCALES };
