// Cursor pagination shared by every list: `?limit=&cursor=`, answer `{ items, nextCursor }`.
// A cursor is the opaque, URL-safe encoding of the last row's sort key.
import { type TSchema, Type } from 'typebox';
import { AppError, fieldError } from '../errors.ts';
import { HTTP } from './messages.ts';

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size (1–200).' }),
  ),
  cursor: Type.Optional(
    Type.String({ maxLength: 500, description: 'The `nextCursor` of the previous page.' }),
  ),
};

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

/** A list that always fits one page (a task's comments, a client's contacts): `nextCursor` is null. */
export const WholeList = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Null() });

export interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor and checks its shape; a forged or stale cursor is a 400 naming `cursor`. */
export function decodeCursor<T>(
  cursor: string | undefined,
  isValid: (value: unknown) => value is T,
): T | null {
  if (cursor === undefined || cursor === '') return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isValid(value)) return value;
  } catch {
    // fall through
  }
  throw new AppError('validation-failed', HTTP.foreignCursor(), {
    errors: [fieldError('cursor', 'cursor', HTTP.badCursor(), 'query')],
  });
}

/** Fetches limit+1 rows to know whether another page exists; returns the page and its cursor. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  keyOf: (row: R) => unknown,
): PageOf<T> {
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  const last = slice[slice.length - 1];
  return { items: slice.map(map), nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/** The cursor shape of lists ordered by id. */
export const isIdCursor = (v: unknown): v is { id: string } =>
  typeof v === 'object' && v !== null && typeof (v as { id: unknown }).id === 'string';
