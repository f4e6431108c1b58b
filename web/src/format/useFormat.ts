// Dates, numbers and money in the user's language, through Intl (no hand-made formats).
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';

/** How many minor-unit digits a currency has (2 for EUR, 0 for JPY), as Intl knows it. */
function minorDigits(currency: string): number {
  return (
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  return useMemo(() => {
    const number = new Intl.NumberFormat(locale);
    const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
    return {
      locale,
      number: (n: number) => number.format(n),
      percent: (ratio: number) => percent.format(ratio),
      /** A `YYYY-MM-DD` calendar day (no time zone shift). */
      day: (iso: string | null | undefined) => (iso ? date.format(new Date(`${iso}T00:00:00Z`)) : '—'),
      dateTime: (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : '—'),
      /** An amount in minor units (e.g. cents) of an ISO 4217 currency. */
      money: (minor: number | null | undefined, currency: string) => {
        if (minor === null || minor === undefined) return '—';
        return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(
          minor / 10 ** minorDigits(currency),
        );
      },
      /** Major units typed by a user → minor units of the currency. */
      toMinor: (major: number, currency: string) => Math.round(major * 10 ** minorDigits(currency)),
      /** Minor units → major units (for charts). */
      toMajor: (minor: number, currency: string) => minor / 10 ** minorDigits(currency),
    };
  }, [locale]);
}
