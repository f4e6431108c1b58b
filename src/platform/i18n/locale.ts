// The languages the API answers in, and the choice of one from a request's Accept-Language
// (RFC 9110 §12.5.4: q-values, language ranges, `*`). English when nothing matches.

export const LOCALES = ['en', 'es', 'pt-BR'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** A supported locale for one language tag: exact, then by primary language ("pt-PT" → pt-BR). */
function match(tag: string): Locale | null {
  const lower = tag.toLowerCase();
  const exact = LOCALES.find((l) => l.toLowerCase() === lower);
  if (exact) return exact;
  const primary = lower.split('-')[0];
  return LOCALES.find((l) => l.toLowerCase().split('-')[0] === primary) ?? null;
}

/** The best supported locale for an Accept-Language header; English when absent or unmatched. */
export function negotiateLocale(header: string | string[] | undefined): Locale {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return DEFAULT_LOCALE;
  const ranges = value
    .split(',')
    .slice(0, 50) // a header is short; a hostile one gets no more work than this
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      let q = 1;
      for (const p of params) {
        const [k, v] = p.trim().split('=');
        if (k?.trim().toLowerCase() === 'q') {
          const n = Number(v);
          q = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
        }
      }
      return { tag: tag.trim(), q, index };
    })
    .filter((r) => r.tag !== '' && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const r of ranges) {
    if (r.tag === '*') return DEFAULT_LOCALE;
    const found = match(r.tag);
    if (found) return found;
  }
  return DEFAULT_LOCALE;
}
