// Currencies: the ISO 4217 codes the runtime knows (Intl), and the rule that money written to an
// organization is in its book currency (BUL converts nothing: KPIs add amounts of one currency).
import { AppError } from '../errors.ts';

const KNOWN = new Set(Intl.supportedValuesOf('currency'));

export const isCurrency = (code: string): boolean => KNOWN.has(code);

/** Refuses a currency that is unknown or not the organization's, naming the field. */
export function assertOrgCurrency(field: string, currency: string, orgCurrency: string): void {
  if (!isCurrency(currency)) {
    throw new AppError('validation-failed', `${currency} is not an ISO 4217 currency`, {
      errors: [
        { field, in: 'body', rule: 'currency', message: `${currency} is not an ISO 4217 currency code` },
      ],
    });
  }
  if (currency !== orgCurrency) {
    throw new AppError('validation-failed', `amounts must be in the organization's currency ${orgCurrency}`, {
      errors: [
        {
          field,
          in: 'body',
          rule: 'organizationCurrency',
          message: `must be ${orgCurrency}, the organization's currency (BUL does not convert currencies)`,
        },
      ],
    });
  }
}
