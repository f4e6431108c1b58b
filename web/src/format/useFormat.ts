// Dates, numbers and money in the user's language (format.ts does the formatting).
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { formatFor } from './format.ts';

export type { Format } from './format.ts';

export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? 'en';
  return useMemo(() => formatFor(locale), [locale]);
}
