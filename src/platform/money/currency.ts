// Currencies: the ISO 4217 codes the runtime knows (Intl), and the rule that money written to an
// organization is in its book currency (BUL converts nothing: KPIs add amounts of one currency).
import { AppError, fieldError } from '../errors.ts';
import { HTTP } from '../http/messages.ts';

const KNOWN = new Set(Intl.supportedValuesOf('currency'));

export const isCurrency = (code: string): boolean => KNOWN.has(code);

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
