// Turns the text cells of an imported table (readTable) into typed records, or into the list of
// everything wrong with it — every bad cell of every row, not just the first.
//
//   const spec = {
//     name: col.text({ required: true, maxLength: 200 }),
//     status: col.enum(['lead', 'active', 'churned'], { required: true }),
//     budget: col.money({ digits: 2 }),               // "1234.56" → 123456 (minor units)
//     dueDate: col.date(),                            // YYYY-MM-DD
//     completedAt: col.timestamp(),                   // ISO 8601 (UTC without a zone) → ISO text
//     ownerEmail: col.email(),
//     tags: col.tags({ maxItems: 20 }),
//   } satisfies TableSpec;
//   const result = validateRows(table, spec, { refine: (rec, row) => [...cross-field errors] });
//   if (!result.ok) throw importInvalid(result);       // 422 import-invalid with rowErrors[]
//   result.records  // [{ row, value: { name: string; status: 'lead'|...; budget: number | null; ... } }]
//
// Header matching ignores case, spaces, '_' and '-': "Due date", "due_date" and "dueDate" all
// name the column `dueDate`. Unknown columns: one error each (row 1). Missing required columns:
// one error each (row 1), and rows are then not checked (each would repeat the same error).
// A blank cell is null (tags: []) unless the column is required. Cells are trimmed, but text
// cells only of spaces: a tab or line break they start or end with is the value's own (an export
// escapes a leading tab as '<TAB>, and the reader takes the ' off). Every message says what is
// expected. Errors are capped at `maxErrors` (default 1000); `errorCount` has the full count.
import { AppError } from '../errors.ts';
import type { Table } from './read-table.ts';

interface Base {
  required?: boolean;
}
export interface TextColumn extends Base {
  kind: 'text';
  minLength?: number;
  maxLength?: number;
}
export interface IntegerColumn extends Base {
  kind: 'integer';
  min?: number;
  max?: number;
}
export interface MoneyColumn extends Base {
  kind: 'money';
  /** Decimal digits of the currency (2 for EUR/USD, 0 for JPY). */
  digits: number;
  /** Bounds in minor units; `min` defaults to 0 (no negative amounts). */
  min?: number;
  max?: number;
}
export interface DateColumn extends Base {
  kind: 'date';
}
export interface TimestampColumn extends Base {
  kind: 'timestamp';
}
export interface EnumColumn<V extends string = string> extends Base {
  kind: 'enum';
  values: readonly V[];
}
export interface EmailColumn extends Base {
  kind: 'email';
}
export interface UuidColumn extends Base {
  kind: 'uuid';
}
export interface TagsColumn extends Base {
  kind: 'tags';
  maxItems?: number;
  /** Longest tag (characters). */
  maxLength?: number;
}
export interface BooleanColumn extends Base {
  kind: 'boolean';
}

export type ColumnSpec =
  | TextColumn
  | IntegerColumn
  | MoneyColumn
  | DateColumn
  | TimestampColumn
  | EnumColumn
  | EmailColumn
  | UuidColumn
  | TagsColumn
  | BooleanColumn;

/** Column key (as the record will have it) → its rule. */
export type TableSpec = Record<string, ColumnSpec>;

type ValueOf<C> = C extends { kind: 'text' | 'email' | 'uuid' | 'date' | 'timestamp' }
  ? string
  : C extends { kind: 'integer' | 'money' }
    ? number
    : C extends { kind: 'enum'; values: readonly (infer V)[] }
      ? V
      : C extends { kind: 'tags' }
        ? string[]
        : C extends { kind: 'boolean' }
          ? boolean
          : never;

type FieldOf<C> = C extends { kind: 'tags' }
  ? string[]
  : C extends { required: true }
    ? ValueOf<C>
    : ValueOf<C> | null;

/** The typed record a spec produces. */
export type RecordOf<S extends TableSpec> = { [K in keyof S]: FieldOf<S[K]> };

export interface RowError {
  /** Spreadsheet row number (1 = header). */
  row: number;
  /** The column as the file names it (or the spec's key for a missing column). */
  column: string;
  message: string;
}

export type RowValidation<S extends TableSpec> =
  | { ok: true; records: { row: number; value: RecordOf<S> }[] }
  | {
      ok: false;
      errors: RowError[];
      errorCount: number;
      /** The rows that passed (callers can go on checking them, so a report lists every problem). */
      records: { row: number; value: RecordOf<S> }[];
    };

export interface ValidateOptions<S extends TableSpec> {
  /** Cross-field rules on a row whose cells are all valid (e.g. due date after start date). */
  refine?: (value: RecordOf<S>, row: number) => Omit<RowError, 'row'>[];
  /** Most errors listed (default 1000). */
  maxErrors?: number;
}

/** Column constructors that keep literal types (`required: true`, enum values) for RecordOf. */
export const col = {
  text: <const O extends Omit<TextColumn, 'kind'>>(o?: O) =>
    ({ kind: 'text', ...o }) as { kind: 'text' } & NoInfer<O>,
  integer: <const O extends Omit<IntegerColumn, 'kind'>>(o?: O) =>
    ({ kind: 'integer', ...o }) as { kind: 'integer' } & NoInfer<O>,
  money: <const O extends Omit<MoneyColumn, 'kind'>>(o: O) =>
    ({ kind: 'money', ...o }) as { kind: 'money' } & NoInfer<O>,
  date: <const O extends Omit<DateColumn, 'kind'>>(o?: O) =>
    ({ kind: 'date', ...o }) as { kind: 'date' } & NoInfer<O>,
  timestamp: <const O extends Omit<TimestampColumn, 'kind'>>(o?: O) =>
    ({ kind: 'timestamp', ...o }) as { kind: 'timestamp' } & NoInfer<O>,
  // NoInfer: a `satisfies TableSpec` around the spec must not widen the values to string
  enum: <const V extends string, const O extends Omit<EnumColumn, 'kind' | 'values'>>(
    values: readonly V[],
    o?: O,
  ) => ({ kind: 'enum', values, ...o }) as { kind: 'enum'; values: readonly NoInfer<V>[] } & NoInfer<O>,
  email: <const O extends Omit<EmailColumn, 'kind'>>(o?: O) =>
    ({ kind: 'email', ...o }) as { kind: 'email' } & NoInfer<O>,
  uuid: <const O extends Omit<UuidColumn, 'kind'>>(o?: O) =>
    ({ kind: 'uuid', ...o }) as { kind: 'uuid' } & NoInfer<O>,
  tags: <const O extends Omit<TagsColumn, 'kind'>>(o?: O) =>
    ({ kind: 'tags', ...o }) as { kind: 'tags' } & NoInfer<O>,
  boolean: <const O extends Omit<BooleanColumn, 'kind'>>(o?: O) =>
    ({ kind: 'boolean', ...o }) as { kind: 'boolean' } & NoInfer<O>,
};

/** "Due date", "due_date", "dueDate" → "duedate". */
export const normalizeHeader = (h: string): string => h.toLowerCase().replace(/[\s_-]+/g, '');

const EMAIL = /^[^\s@"<>(),;:\\[\]]+@[^\s@"<>(),;:\\[\]]+\.[^\s@"<>(),;:\\[\]]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);

type Parsed = { value: unknown } | { error: string };

/** Parses one non-blank cell (already trimmed). */
export function parseCell(spec: ColumnSpec, text: string): Parsed {
  switch (spec.kind) {
    case 'text': {
      const length = [...text].length;
      if (spec.minLength !== undefined && length < spec.minLength)
        return { error: `must be at least ${spec.minLength} characters` };
      if (spec.maxLength !== undefined && length > spec.maxLength)
        return { error: `must be at most ${spec.maxLength} characters (has ${length})` };
      return { value: text };
    }
    case 'integer': {
      if (!/^[+-]?\d+$/.test(text)) return { error: `must be a whole number (got "${clip(text)}")` };
      const n = Number(text);
      if (!Number.isSafeInteger(n)) return { error: 'is too large' };
      return bounded(n, spec.min, spec.max, String);
    }
    case 'money': {
      const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text.replace(/[\s\u00a0]/g, ''));
      const example = spec.digits > 0 ? `1234.${'5'.repeat(spec.digits)}` : '1234';
      if (!m) return { error: `must be an amount like ${example} (digits and a "." only)` };
      const [, sign, int, frac = ''] = m;
      if (frac.length > spec.digits && /[^0]/.test(frac.slice(spec.digits)))
        return {
          error:
            spec.digits === 0
              ? 'must be a whole amount (this currency has no minor unit)'
              : `must have at most ${spec.digits} decimals`,
        };
      const minor =
        Number(int! + frac.slice(0, spec.digits).padEnd(spec.digits, '0')) * (sign === '-' ? -1 : 1);
      if (!Number.isSafeInteger(minor)) return { error: 'is too large' };
      const fmt = (v: number) => (v / 10 ** spec.digits).toFixed(spec.digits);
      return bounded(minor === 0 ? 0 : minor, spec.min ?? 0, spec.max, fmt);
    }
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
      if (!m) return { error: `must be a date as YYYY-MM-DD (got "${clip(text)}")` };
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const date = new Date(Date.UTC(y, mo - 1, d));
      if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
        return { error: `is not a calendar date (${text})` };
      return { value: text };
    }
    case 'timestamp': {
      // What exports write (2025-03-04T05:06:07.123Z) and what the XLSX reader makes of a date-time
      // cell (2025-03-04T05:06:07, UTC as exports write it); a space for the T and a zone are fine.
      const m =
        /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(
          text,
        );
      const bad = { error: `must be a date-time as YYYY-MM-DDTHH:MM:SSZ (got "${clip(text)}")` };
      if (!m) return bad;
      const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone = 'Z'] = m;
      const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
      if (
        day.getUTCFullYear() !== Number(y) ||
        day.getUTCMonth() !== Number(mo) - 1 ||
        day.getUTCDate() !== Number(d) ||
        Number(h) > 23 ||
        Number(mi) > 59 ||
        Number(sec) > 59
      )
        return { error: `is not a calendar date and time (${clip(text)})` };
      const ms = frac.slice(1, 4).padEnd(3, '0'); // a JS Date (so an export) holds milliseconds
      const z = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
      const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${sec}.${ms}${z}`);
      return Number.isNaN(at.getTime()) ? bad : { value: at.toISOString() };
    }
    case 'enum': {
      const found = spec.values.find((v) => v.toLowerCase() === text.toLowerCase());
      return found !== undefined
        ? { value: found }
        : { error: `must be one of: ${spec.values.join(', ')} (got "${clip(text)}")` };
    }
    case 'email':
      return text.length <= 254 && EMAIL.test(text)
        ? { value: text }
        : { error: `must be an e-mail address (got "${clip(text)}")` };
    case 'uuid':
      return UUID.test(text)
        ? { value: text.toLowerCase() }
        : { error: `must be an id (UUID) (got "${clip(text)}")` };
    case 'tags': {
      const tags = [
        ...new Set(
          text
            .split(/[,;]/)
            .map((t) => t.trim())
            .filter((t) => t !== ''),
        ),
      ];
      const maxItems = spec.maxItems ?? 50;
      const maxLength = spec.maxLength ?? 50;
      if (tags.length > maxItems) return { error: `must have at most ${maxItems} tags (has ${tags.length})` };
      const long = tags.find((t) => [...t].length > maxLength);
      if (long) return { error: `tag "${clip(long)}" is longer than ${maxLength} characters` };
      return { value: tags };
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (TRUE.has(t)) return { value: true };
      if (FALSE.has(t)) return { value: false };
      return { error: `must be true/false, yes/no or 1/0 (got "${clip(text)}")` };
    }
  }
}

function bounded(
  n: number,
  min: number | undefined,
  max: number | undefined,
  show: (v: number) => string,
): Parsed {
  if (min !== undefined && n < min) return { error: `must be at least ${show(min)}` };
  if (max !== undefined && n > max) return { error: `must be at most ${show(max)}` };
  return { value: n };
}

const clip = (s: string) => ([...s].length > 40 ? `${[...s].slice(0, 40).join('')}…` : s);

export function validateRows<S extends TableSpec>(
  table: Table,
  spec: S,
  opts: ValidateOptions<S> = {},
): RowValidation<S> {
  const maxErrors = opts.maxErrors ?? 1000;
  const errors: RowError[] = [];
  let errorCount = 0;
  const report = (e: RowError) => {
    errorCount++;
    if (errors.length < maxErrors) errors.push(e);
  };

  const byNormal = new Map<string, string>();
  for (const key of Object.keys(spec)) byNormal.set(normalizeHeader(key), key);
  // spec key → the file's header for it
  const headerOf = new Map<string, string>();
  for (const header of table.columns) {
    const key = byNormal.get(normalizeHeader(header));
    if (key === undefined) {
      report({
        row: 1,
        column: header,
        message: `unknown column; the columns are: ${Object.keys(spec).join(', ')}`,
      });
    } else if (headerOf.has(key)) {
      report({ row: 1, column: header, message: `repeats the column ${headerOf.get(key)}` });
    } else {
      headerOf.set(key, header);
    }
  }
  let missingRequired = false;
  for (const [key, c] of Object.entries(spec)) {
    if (c.required && !headerOf.has(key)) {
      missingRequired = true;
      report({ row: 1, column: key, message: 'this required column is missing' });
    }
  }
  if (missingRequired) return { ok: false, errors, errorCount, records: [] };

  const records: { row: number; value: RecordOf<S> }[] = [];
  const keys = Object.keys(spec);
  for (const { row, values } of table.rows) {
    const out: Record<string, unknown> = {};
    let rowOk = true;
    for (const key of keys) {
      const c = spec[key]!;
      const header = headerOf.get(key);
      const raw = header === undefined ? '' : (values[header] ?? '');
      const text = raw.trim() === '' ? '' : c.kind === 'text' ? raw.replace(/^ +| +$/g, '') : raw.trim();
      if (text === '') {
        if (c.required) {
          rowOk = false;
          report({ row, column: header ?? key, message: 'is required' });
        }
        out[key] = c.kind === 'tags' ? [] : null;
        continue;
      }
      const parsed = parseCell(c, text);
      if ('error' in parsed) {
        rowOk = false;
        report({ row, column: header ?? key, message: parsed.error });
      } else {
        out[key] = parsed.value;
      }
    }
    if (!rowOk) continue;
    const value = out as RecordOf<S>;
    const extra = opts.refine?.(value, row) ?? [];
    for (const e of extra) report({ row, column: headerOf.get(e.column) ?? e.column, message: e.message });
    if (extra.length === 0) records.push({ row, value });
  }
  return errorCount > 0 ? { ok: false, errors, errorCount, records } : { ok: true, records };
}

/** The 422 import-invalid problem for a failed validation (nothing was stored). */
export function importInvalid(result: { errors: RowError[]; errorCount: number }): AppError {
  const first = result.errors[0];
  const detail = first
    ? `row ${first.row}, column ${first.column}: ${first.message}${result.errorCount > 1 ? ` (and ${result.errorCount - 1} more)` : ''}`
    : 'the import has invalid rows';
  return new AppError('import-invalid', detail, {
    extra: {
      rowErrors: result.errors,
      errorCount: result.errorCount,
      ...(result.errorCount > result.errors.length ? { truncated: true } : {}),
    },
  });
}
