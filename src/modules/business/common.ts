// What the business services share: the organization's book (currency and today's date in its
// time zone), and the translation of the database's own refusals into field errors, so that a
// rule the database enforces still answers with the field it is about.
import type { Sql } from '../../platform/db/transaction.ts';
import { AppError, invalidField } from '../../platform/errors.ts';
import type { TenancyService } from '../tenancy/service.ts';

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
const REFERENCE_FIELDS: [RegExp, string, string][] = [
  [/_client_id_fkey$/, 'clientId', 'no such client in this organization'],
  [/_project_id_fkey$/, 'projectId', 'no such project in this organization'],
  [/_owner_id_fkey$/, 'ownerId', 'the owner must be a member of this organization'],
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
    if (hit) throw invalidField(hit[1], 'exists', hit[2]);
  }
  if (e.code === '23505' && e.constraint === 'invoices_org_id_number_key') throw duplicateInvoiceNumber();
  throw err;
}

export function duplicateInvoiceNumber(number?: string): AppError {
  const message = `an invoice numbered ${number ?? 'so'} already exists in this organization`;
  return new AppError('conflict', message, {
    errors: [{ field: 'number', in: 'body', rule: 'unique', message }],
  });
}

/** Runs a service body and translates database refusals (see translateDbError). */
export async function translated<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    translateDbError(err);
  }
}
