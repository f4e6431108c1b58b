// Dates, numbers and money in a language, through Intl (no hand-made formats). Free of React, so
// that tests run it as the pages do; pages get the user's language through useFormat().

/** How many minor-unit digits a currency has (2 for EUR, 0 for JPY), as Intl knows it. */
function minorDigits(currency: string): number {
  return (
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

export type Format = ReturnType<typeof formatFor>;

/** The formatters of one language (useFormat gives the user's). */
export function formatFor(locale: string) {
  const number = new Intl.NumberFormat(locale);
  const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  // Day and month only, as the language writes them ("Nov 7", "7 nov", "7 de nov."): cutting the
  // year off a full date left "7 de nov. de" in Portuguese.
  const dayMonth = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  return {
    locale,
    number: (n: number) => number.format(n),
    percent: (ratio: number) => percent.format(ratio),
    /** A `YYYY-MM-DD` calendar day (no time zone shift). */
    day: (iso: string | null | undefined) => (iso ? date.format(new Date(`${iso}T00:00:00Z`)) : '—'),
    dateTime: (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : '—'),
    /** A `YYYY-MM-DD` calendar day without its year (chart axes). */
    dayShort: (iso: string) => dayMonth.format(new Date(`${iso}T00:00:00Z`)),
    /** An amount in minor units (e.g. cents) of an ISO 4217 currency. */
    money: (minor: number | null | undefined, currency: string) => {
      if (minor === null || minor === undefined) return '—';
      return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(
        minor / 10 ** minorDigits(currency),
      );
    },
    /** An amount in major units, short ("$1.2K", "1,2 mil US$"): chart axes, where room is scarce. */
    moneyCompact: (major: number, currency: string) =>
      new Intl.NumberFormat(locale, {
        style: 'currency',
        currency,
        notation: 'compact',
        minimumFractionDigits: 0,
        maximumFractionDigits: 1,
      }).format(major),
    /** Major units typed by a user → minor units of the currency. */
    toMinor: (major: number, currency: string) => Math.round(major * 10 ** minorDigits(currency)),
    /** Minor units → major units (for charts). */
    toMajor: (minor: number, currency: string) => minor / 10 ** minorDigits(currency),
  };
}
