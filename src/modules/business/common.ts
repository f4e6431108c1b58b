// What the business services share: the organization's book (currency and today's date in its
// time zone), and the translation of the database's own refusals into field errors, so that a
// rule the database enforces still answers with the field it is about.
import type { Sql } from '../../platform/db/transaction.ts';
import { AppError, fieldError, invalidField } from '../../platform/errors.ts';
import { COMMON } from '../../platform/i18n/common-messages.ts';
import type { Msg } from '../../platform/i18n/message.ts';
import { resourceName } from '../../platform/i18n/resource-names.ts';
import type { TenancyService } from '../tenancy/service.ts';
import { BUSINESS } from './messages.ts';

export interface Book {
  /** The organization's book currency (ISO 4217). */
  currency: string;
  /** Today's date (YYYY-MM-DD) in the organization's time zone. */
  today: string;
}

/** The organization's currency and today's date in its time zone. */
export async function orgBook(tx: Sql, tenancy: TenancyService): Promise<Book> {
  const { currency, timezone } = await tenancy.organizations.bookSettings(tx);
  const { rows } = await tx.query<{ today: string }>('SELECT (now() AT TIME ZONE $1)::date::text AS today', [
    timezone,
  ]);
  return { currency, today: rows[0]!.today };
}

/** Foreign-key columns of business tables and the body field each one comes from. */
const REFERENCE_FIELDS: [RegExp, string, () => Msg][] = [
  [/_client_id_fkey$/, 'clientId', () => COMMON.noSuch({ what: resourceName('client') })],
  [/_project_id_fkey$/, 'projectId', () => COMMON.noSuch({ what: resourceName('project') })],
  [/_owner_id_fkey$/, 'ownerId', () => COMMON.ownerNotMember()],
];

/**
 * Rethrows a database refusal as the error the caller should see: a broken reference names the
 * field it came from (a row deleted meanwhile, or a reference the service could not check
 * itself), a duplicate invoice number is a 409 naming `number`. Anything else is rethrown as is.
 */
export function translateDbError(err: unknown): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23503' && e.constraint) {
    const hit = REFERENCE_FIELDS.find(([re]) => re.test(e.constraint!));
    if (hit) throw invalidField(hit[1], 'exists', hit[2]());
  }
  if (e.code === '23505' && e.constraint === 'invoices_org_id_number_key') throw duplicateInvoiceNumber();
  throw err;
}

export function duplicateInvoiceNumber(number?: string): AppError {
  const message = number
    ? BUSINESS.duplicateInvoiceNumber({ number })
    : BUSINESS.duplicateInvoiceNumberUnknown();
  return new AppError('conflict', message, { errors: [fieldError('number', 'unique', message)] });
}

/** Runs a service body and translates database refusals (see translateDbError). */
export async function translated<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    translateDbError(err);
  }
}
