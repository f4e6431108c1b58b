// Filtered, sorted lists with keyset pagination. A module states its filters as SQL conditions
// with bound parameters and picks one of its sort keys; the cursor carries the last row's sort
// value and id, so a page costs an index range scan however deep it is (no OFFSET).
import { AppError, fieldError } from '../errors.ts';
import { HTTP } from '../http/messages.ts';
import { decodeCursor, encodeCursor, type PageOf } from '../http/pagination.ts';
import type { Sql } from './transaction.ts';

export interface SortKey {
  /** SQL expression of the sort value (non-null: coalesce nullable columns). */
  expr: string;
  /** Its SQL type, for the cursor parameter's cast. */
  type: 'text' | 'timestamptz' | 'date' | 'int' | 'bigint';
}

interface ListCursor {
  s: string;
  v: string | number;
  id: string;
}

const isListCursor = (v: unknown): v is ListCursor => {
  const c = v as ListCursor;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof c.s === 'string' &&
    (typeof c.v === 'string' || typeof c.v === 'number') &&
    typeof c.id === 'string'
  );
};

/** Collects WHERE conditions and their parameters. */
export class Conditions {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];

  /** Adds a bound parameter and returns its placeholder ($n). */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** Adds a condition written with placeholders from `param`. */
  add(condition: string): this {
    this.parts.push(condition);
    return this;
  }

  sql(): string {
    return this.parts.length > 0 ? this.parts.join(' AND ') : 'true';
  }
}

export interface KeysetListOptions<Row> {
  /** The select list, e.g. `t.*, p.name AS project_name`. */
  select: string;
  /** The FROM clause without the keyword, e.g. `tasks t JOIN projects p ON ...`. */
  from: string;
  /** The id column of the listed table (`t.id`). */
  idExpr: string;
  where: Conditions;
  sorts: Record<string, SortKey>;
  /** Requested sort: a key of `sorts`, optionally prefixed with `-` for descending. */
  sort: string;
  limit: number;
  cursor: string | undefined;
  map: (row: Row) => unknown;
}

/** Runs a keyset-paginated list query and shapes the page. */
export async function keysetList<Row extends Record<string, unknown>, Item>(
  sql: Sql,
  o: Omit<KeysetListOptions<Row>, 'map'> & { map: (row: Row) => Item },
): Promise<PageOf<Item>> {
  const desc = o.sort.startsWith('-');
  const name = desc ? o.sort.slice(1) : o.sort;
  const key = o.sorts[name];
  if (!key) {
    throw new AppError('validation-failed', HTTP.cannotSort({ sort: o.sort }), {
      errors: [
        fieldError('sort', 'enum', HTTP.sortValues({ values: Object.keys(o.sorts).join(', ') }), 'query'),
      ],
    });
  }
  const cursor = decodeCursor(o.cursor, isListCursor);
  if (cursor && cursor.s !== o.sort) {
    throw new AppError('validation-failed', HTTP.cursorOfOtherSort(), {
      errors: [fieldError('cursor', 'cursor', HTTP.cursorSort({ sort: cursor.s }), 'query')],
    });
  }
  const where = o.where;
  if (cursor) {
    const v = where.param(cursor.v);
    const id = where.param(cursor.id);
    where.add(`(${key.expr}, ${o.idExpr}) ${desc ? '<' : '>'} (${v}::${key.type}, ${id}::uuid)`);
  }
  const dir = desc ? 'DESC' : 'ASC';
  const limit = where.param(o.limit + 1);
  // The sort value travels as PostgreSQL's own text (timestamps keep their microseconds).
  const { rows } = await sql.query<Row & { sort_value: string; list_id: string }>(
    `SELECT ${o.select}, (${key.expr})::text AS sort_value, ${o.idExpr} AS list_id FROM ${o.from}
     WHERE ${where.sql()} ORDER BY ${key.expr} ${dir}, ${o.idExpr} ${dir} LIMIT ${limit}`,
    where.params,
  );
  const more = rows.length > o.limit;
  const page = more ? rows.slice(0, o.limit) : rows;
  const last = page[page.length - 1];
  return {
    items: page.map(o.map),
    nextCursor:
      more && last
        ? encodeCursor({ s: o.sort, v: last.sort_value, id: last.list_id } satisfies ListCursor)
        : null,
  };
}

/** The sort query parameter's allowed values for a set of sort keys (`name` and `-name`). */
export function sortValues(keys: readonly string[]): string[] {
  return keys.flatMap((k) => [k, `-${k}`]);
}
