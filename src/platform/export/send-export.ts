// Streams a list as a CSV, XLSX or JSON download in constant memory, however many rows it has.
//
//   // in a route handler (the rows come from a cursor inside the transaction):
//   const result = await db.transaction(scope, (tx) =>
//     sendExport(reply, {
//       format: 'csv' | 'xlsx' | 'json',
//       fileName: 'tasks',                            // the extension is added
//       columns: [{ key: 'title', header: 'Title' }, { key: 'dueDate', header: 'Due date', type: 'date' }],
//       rows: streamRows(tx, 'SELECT ... ORDER BY id', params),
//     }),
//   );
//   return reply;
//
// sendExport resolves once the last row has been written to the response (so the transaction, and
// its cursor, outlive the stream), with `{ rows, completed }`. It reads the first row BEFORE sending
// anything: a failing query rejects, and the caller's error becomes an ordinary problem response.
// After that the status is 200 and the headers are gone, so later failures cannot become a problem
// document: a database error mid-way is logged and the connection is cut (the client sees a broken
// transfer, never a silently truncated file), and a client that goes away just stops the export;
// both resolve with `completed: false` (the cursor is closed in both cases).
//
// Formats: every value goes through the same mapping — null/undefined → empty, Date → ISO 8601
// (UTC) text, arrays → "a, b", other objects → JSON text, bigint → number or text.
//  - csv: UTF-8 with a BOM (Excel needs it to read UTF-8), header row, CRLF, RFC 4180 quoting
//    (a cell with a quote, comma, CR or LF is quoted, its quotes doubled); text starting with
//    = + - @ TAB or CR gets a leading ' so that spreadsheets do not run it as a formula (CSV
//    injection), and so does text that starts with ' before one of those (so that imports, which
//    take one ' off such text, give back exactly what was exported). Numbers are written as they
//    are. Rows may also come as finished CSV records (`csvRecords`, e.g. from PostgreSQL's COPY):
//    then only the BOM and header are written here.
//  - json: an array streamed one object per line, keys = the columns' keys (values as JSON types).
//  - xlsx: exceljs's streaming WorkbookWriter, one worksheet, header row, a row committed at a time,
//    no shared strings (memory stays flat). Cells are typed by the column's `type`, so SUM and
//    date functions work on them: `money` → a number in major units with the number format of the
//    row's currency (`#,##0.00 "USD"`, `#,##0 "JPY"`; the value is the decimal text or number the
//    CSV has), `date` (YYYY-MM-DD) → an Excel date, `timestamp` (ISO text or Date, UTC) → an Excel
//    date-time (UTC, milliseconds kept); numbers are numbers. Other strings are string cells (never
//    formulas), so only the ' escape above is written (for text that starts with ' before
//    = + - @ TAB CR, which imports take one ' off); texts longer than 32,767 characters are cut.
// Backpressure: nothing more is produced while the response's buffer is full (await 'drain').
import { type EventEmitter, once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import type ExcelJSModule from 'exceljs';
import type { FastifyReply } from 'fastify';
import { moneyNumberFormat } from '../money/currency.ts';

export type ExportFormat = 'csv' | 'xlsx' | 'json';

export interface ExportColumn {
  key: string;
  header: string;
  /** How an XLSX cell is typed (CSV and JSON write the value as it is); text by default. */
  type?: 'money' | 'date' | 'timestamp';
  /** For `money`: the key of the row's currency code (default `currency`). */
  currencyKey?: string;
}

/**
 * The CSV records of an export already written by the database (e.g. by platform/db/copy-out.ts),
 * CRLF-terminated, without BOM and header; `records` counts them once they have been read.
 */
export interface CsvRecords extends AsyncIterable<Buffer> {
  readonly records: number;
}

/** What an export is made of: rows to format, or (CSV only) the finished records. */
export type ExportSource = { rows: AsyncIterable<Record<string, unknown>> } | { csvRecords: CsvRecords };

export type ExportOptions = {
  format: ExportFormat;
  /** Download name without extension (sanitised; the format's extension is added). */
  fileName: string;
  columns: readonly ExportColumn[];
  /** XLSX worksheet name (default "Export"). */
  sheetName?: string;
} & ExportSource;

export interface ExportResult {
  rows: number;
  /** False when the client went away or a row could not be read mid-way. */
  completed: boolean;
}

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const CHUNK_CHARS = 64 * 1024;
const XLSX_MAX_TEXT = 32_767;

/** `attachment; filename="ascii"; filename*=UTF-8''...` for any name. */
export function contentDisposition(fileName: string): string {
  const clean = fileName.replace(/[\p{Cc}/\\]/gu, '_').trim() || 'export';
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_').replace(/["%;]/g, '_');
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The value as export text (CSV cells); see the mapping at the top. */
export function exportText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  if (Array.isArray(value)) return value.map(exportText).join(', ');
  return JSON.stringify(value, jsonReplacer);
}

/**
 * A text that a spreadsheet would run as a formula gets a leading apostrophe; so does a text that
 * already starts with apostrophes before such a character, so that taking one off on import
 * (platform/import/read-table.ts) gives back exactly the exported text.
 */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
const FORMULA_START = /^'*[=+\-@\t\r]/;
/** XLSX string cells never run as formulas: only the apostrophe case needs the escape. */
const ESCAPED_START = /^'+[=+\-@\t\r]/;

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

type XlsxValue = string | number | boolean | Date | null;

/**
 * One style object per number format, shared by the cells that have it, and one for the others:
 * exceljs only reads a cell's style to find its entry in styles.xml, which it remembers per style
 * object, so shared objects are looked up once instead of once per cell.
 */
const PLAIN: Partial<ExcelJSModule.Style> = Object.freeze({});
const STYLES = new Map<string, Partial<ExcelJSModule.Style>>();
function styleOf(numFmt: string): Partial<ExcelJSModule.Style> {
  let style = STYLES.get(numFmt);
  if (!style) {
    style = Object.freeze({ numFmt });
    if (STYLES.size < 1000) STYLES.set(numFmt, style);
  }
  return style;
}

const DATE_FORMAT = 'yyyy-mm-dd';
const TIMESTAMP_FORMAT = 'yyyy-mm-dd hh:mm:ss';
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A typed cell for `column` (see the top): the value and, for money and dates, its number format. */
function xlsxCell(
  column: ExportColumn,
  record: Record<string, unknown>,
): { value: XlsxValue; numFmt?: string } {
  const value = record[column.key];
  if (value === null || value === undefined) return { value: null };
  if (column.type === 'money') {
    const n = typeof value === 'number' ? value : DECIMAL.test(String(value)) ? Number(value) : Number.NaN;
    if (Number.isFinite(n)) {
      const currency = record[column.currencyKey ?? 'currency'];
      return { value: n, numFmt: moneyNumberFormat(typeof currency === 'string' ? currency : '') };
    }
  } else if (column.type === 'date' || column.type === 'timestamp') {
    const d =
      value instanceof Date
        ? value
        : typeof value === 'string' && (column.type === 'timestamp' || DAY.test(value))
          ? new Date(DAY.test(value) ? `${value}T00:00:00Z` : value)
          : null;
    // exceljs turns a Date into Excel's serial day count from its UTC time, so the cell shows UTC.
    if (d && !Number.isNaN(d.getTime()))
      return { value: d, numFmt: column.type === 'date' ? DATE_FORMAT : TIMESTAMP_FORMAT };
  }
  if (typeof value === 'number') return { value: Number.isFinite(value) ? value : null };
  if (typeof value === 'boolean') return { value };
  if (typeof value === 'bigint')
    return { value: Number.isSafeInteger(Number(value)) ? Number(value) : value.toString() };
  // Excel breaks lines in a cell with LF (and XML would turn CR LF into LF anyway).
  let text = exportText(value).replace(/\r\n?/g, '\n');
  if (ESCAPED_START.test(text)) text = `'${text}`;
  return { value: text.length > XLSX_MAX_TEXT ? text.slice(0, XLSX_MAX_TEXT) : text };
}

class ClientGone extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientGone';
  }
}

/** Resolves on `event` of `emitter`; rejects with ClientGone if `out` closes first. */
async function waitFor(emitter: EventEmitter, event: string, out: Writable): Promise<void> {
  if (out.destroyed) throw new ClientGone();
  const ac = new AbortController();
  try {
    await Promise.race([
      once(emitter, event, { signal: ac.signal }),
      once(out, 'close', { signal: ac.signal }).then(() => {
        throw new ClientGone();
      }),
    ]);
  } finally {
    ac.abort();
  }
}

/** Resolves when `out` can take more; rejects with ClientGone if it was destroyed meanwhile. */
async function drained(out: Writable): Promise<void> {
  if (out.destroyed) throw new ClientGone();
  if (out.writableNeedDrain) await waitFor(out, 'drain', out);
}

interface FormatWriter {
  start(): Promise<void>;
  row(record: Record<string, unknown>): Promise<void>;
  end(): Promise<void>;
}

/** Collects text into ~64 KiB chunks and writes them with backpressure. */
function chunker(out: PassThrough) {
  let buffer = '';
  return {
    async push(text: string) {
      buffer += text;
      if (buffer.length >= CHUNK_CHARS) await this.flush();
    },
    async flush() {
      if (buffer === '') return;
      const chunk = buffer;
      buffer = '';
      if (out.destroyed) throw new ClientGone();
      out.write(chunk);
      await drained(out);
    },
  };
}

/** A CSV cell as RFC 4180 wants it: quoted (quotes doubled) when it holds a quote, comma, CR or LF. */
function csvCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
const NEEDS_QUOTES = /[",\r\n]/;

// Each line is built straight into the chunk text: the rows of an export are many, and every
// object made per row (cell arrays, a CSV library's records) is garbage the heap has to hold
// until the next collection, which is what made a large export's memory grow.
function csvWriter(out: PassThrough, columns: readonly ExportColumn[]): FormatWriter {
  const chunks = chunker(out);
  const keys = columns.map((c) => c.key);
  return {
    async start() {
      await chunks.push(csvHeader(columns));
    },
    async row(record) {
      let line = '';
      for (let i = 0; i < keys.length; i++) {
        const v = record[keys[i]!];
        const text = exportText(v);
        if (i > 0) line += ',';
        line += csvCell(typeof v === 'string' ? neutralizeFormula(text) : text);
      }
      await chunks.push(`${line}\r\n`);
    },
    async end() {
      await chunks.flush();
      out.end();
    },
  };
}

function jsonWriter(out: PassThrough, columns: readonly ExportColumn[]): FormatWriter {
  const chunks = chunker(out);
  let first = true;
  return {
    async start() {
      await chunks.push('[');
    },
    async row(record) {
      const obj: Record<string, unknown> = {};
      for (const c of columns) obj[c.key] = record[c.key] === undefined ? null : record[c.key];
      await chunks.push(`${first ? '\n' : ',\n'}${JSON.stringify(obj, jsonReplacer)}`);
      first = false;
    },
    async end() {
      await chunks.push(first ? ']\n' : '\n]\n');
      await chunks.flush();
      out.end();
    },
  };
}

function xlsxWriter(
  ExcelJS: typeof ExcelJSModule,
  out: PassThrough,
  columns: readonly ExportColumn[],
  sheetName: string,
): FormatWriter {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true, // number formats of money and date cells (a handful of styles, shared)
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet(sheetName.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31) || 'Export');
  sheet.columns = columns.map((c) => ({
    key: c.key,
    width: Math.min(50, Math.max(10, c.header.length + 2)),
  }));
  // exceljs pushes the sheet's XML into the zip (archiver, through a readable-stream PassThrough)
  // without looking at write()'s return value, so a fast row source outruns deflate and that
  // queue grows without bound. Its needDrain flag is watched as well as the response's.
  const zipInput = (): (EventEmitter & { _writableState?: { needDrain?: boolean } }) | null => {
    const pipes = (sheet as unknown as { stream?: { pipes?: unknown[] } }).stream?.pipes;
    const z = pipes?.[0] as (EventEmitter & { _writableState?: { needDrain?: boolean } }) | undefined;
    return z && typeof z.once === 'function' ? z : null;
  };
  const settle = async () => {
    const z = zipInput();
    if (z?._writableState?.needDrain === true) await waitFor(z, 'drain', out);
    await drained(out);
  };
  return {
    async start() {
      sheet.addRow(columns.map((c) => c.header)).commit();
      await settle();
    },
    async row(record) {
      const cells = columns.map((c) => xlsxCell(c, record));
      const row = sheet.addRow(cells.map((c) => c.value));
      cells.forEach((c, i) => {
        row.getCell(i + 1).style = c.numFmt ? styleOf(c.numFmt) : PLAIN;
      });
      row.commit();
      await settle();
    },
    async end() {
      sheet.commit();
      // Finalises the zip, which ends `out`; exceljs waits for 'finish', which never comes if the
      // client went away meanwhile, hence the race with 'close'.
      if (out.destroyed) throw new ClientGone();
      const ac = new AbortController();
      try {
        await Promise.race([
          workbook.commit(),
          once(out, 'close', { signal: ac.signal }).then(() => {
            throw new ClientGone();
          }),
        ]);
      } finally {
        ac.abort();
      }
    },
  };
}

function startDownload(reply: FastifyReply, opts: ExportOptions, out: PassThrough): Promise<boolean> {
  const base = opts.fileName.replace(/\.(csv|json|xlsx)$/i, '');
  reply
    .code(200)
    .header('content-type', EXPORT_CONTENT_TYPES[opts.format])
    .header('content-disposition', contentDisposition(`${base}.${opts.format}`))
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff');
  const ended = new Promise<boolean>((resolve) => {
    out.once('end', () => resolve(true));
    out.once('close', () => resolve(out.readableEnded));
  });
  reply.send(out);
  return ended;
}

function failedMidway(reply: FastifyReply, out: PassThrough, err: unknown, rows: number): void {
  if (err instanceof ClientGone) return;
  reply.log.error(
    { err, rows },
    'export failed mid-way; the response is cut (a 500 if nothing was sent yet)',
  );
  out.destroy(err as Error);
}

/** The CSV header line (with the BOM) for `columns`. */
function csvHeader(columns: readonly ExportColumn[]): string {
  return `\ufeff${columns.map((c) => csvCell(neutralizeFormula(c.header))).join(',')}\r\n`;
}

/** Finished CSV records: BOM and header, then the database's bytes as they come, with backpressure. */
async function sendCsvRecords(
  reply: FastifyReply,
  opts: ExportOptions,
  records: CsvRecords,
): Promise<ExportResult> {
  const iterator = records[Symbol.asyncIterator]();
  // The first chunk before any byte: a failing query is still an ordinary error response.
  let next = await iterator.next();
  const out = new PassThrough({ highWaterMark: CHUNK_CHARS });
  const ended = startDownload(reply, opts, out);
  try {
    out.write(csvHeader(opts.columns));
    await drained(out);
    while (!next.done) {
      out.write(next.value);
      await drained(out);
      next = await iterator.next();
    }
    out.end();
    return { rows: records.records, completed: await ended };
  } catch (err) {
    if (!next.done) await iterator.return?.().catch(() => {});
    failedMidway(reply, out, err, records.records);
    return { rows: records.records, completed: false };
  }
}

export async function sendExport(reply: FastifyReply, opts: ExportOptions): Promise<ExportResult> {
  if ('csvRecords' in opts) {
    if (opts.format !== 'csv') throw new Error('csvRecords are for CSV exports only');
    return sendCsvRecords(reply, opts, opts.csvRecords);
  }
  const iterator = opts.rows[Symbol.asyncIterator]();
  // The first row before any byte: a failing query is still an ordinary error response.
  let next = await iterator.next();

  const out = new PassThrough({ highWaterMark: CHUNK_CHARS });
  const writer =
    opts.format === 'csv'
      ? csvWriter(out, opts.columns)
      : opts.format === 'json'
        ? jsonWriter(out, opts.columns)
        : // exceljs is loaded on first use: it is large (~25 MB resident) and most exports are CSV or JSON.
          xlsxWriter((await import('exceljs')).default, out, opts.columns, opts.sheetName ?? 'Export');
  const ended = startDownload(reply, opts, out);

  let rows = 0;
  try {
    await writer.start();
    while (!next.done) {
      await writer.row(next.value);
      rows++;
      next = await iterator.next();
    }
    await writer.end();
    return { rows, completed: await ended };
  } catch (err) {
    if (!next.done) await iterator.return?.().catch(() => {});
    failedMidway(reply, out, err, rows);
    return { rows, completed: false };
  }
}
