// Currencies: the ISO 4217 codes the runtime knows (Intl), and the rule that money written to an
// organization is in its book currency (BUL converts nothing: KPIs add amounts of one currency).
import { AppError, fieldError } from '../errors.ts';
import { HTTP } from '../http/messages.ts';

const KNOWN = new Set(Intl.supportedValuesOf('currency'));

export const isCurrency = (code: string): boolean => KNOWN.has(code);

const DIGITS = new Map<string, number>();

/** Minor-unit digits of a currency as the runtime's CLDR data has them (USD 2, JPY 0, BHD 3). */
export function currencyDigits(currency: string): number {
  const known = DIGITS.get(currency);
  if (known !== undefined) return known;
  let digits = 2; // for a code Intl refuses
  try {
    digits =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2;
  } catch {}
  // Exports ask once per amount, and building a NumberFormat is slow: the known codes are remembered.
  if (KNOWN.has(currency)) DIGITS.set(currency, digits);
  return digits;
}

/** Minor units (number, or bigint text from pg) as decimal text in major units: 123450 USD → "1234.50". */
export function majorText(minor: unknown, currency: string): string | null {
  if (minor === null || minor === undefined || minor === '') return null;
  const digits = currencyDigits(currency);
  return (Number(minor) / 10 ** digits).toFixed(digits);
}

/**
 * A spreadsheet number format for amounts in major units of `currency`: its digits and its code,
 * e.g. `#,##0.00 "USD"`, `#,##0 "JPY"`, `#,##0.000 "BHD"` (a quoted literal reads the same in
 * Excel and LibreOffice whatever their locale).
 */
export function moneyNumberFormat(currency: string): string {
  const digits = currencyDigits(currency);
  const code = /^[A-Z]{3}$/.test(currency) ? ` "${currency}"` : '';
  return `#,##0${digits > 0 ? `.${'0'.repeat(digits)}` : ''}${code}`;
}

/** Refuses a currency that is unknown or not the organization's, naming the field. */
export function assertOrgCurrency(field: string, currency: string, orgCurrency: string): void {
  if (!isCurrency(currency)) {
    throw new AppError('validation-failed', HTTP.notCurrency({ currency }), {
      errors: [fieldError(field, 'currency', HTTP.notCurrencyCode({ currency }))],
    });
  }
  if (currency !== orgCurrency) {
    throw new AppError('validation-failed', HTTP.otherCurrency({ currency: orgCurrency }), {
      errors: [fieldError(field, 'organizationCurrency', HTTP.otherCurrencyField({ currency: orgCurrency }))],
    });
  }
}
