// Reads an uploaded CSV or XLSX file into a table of text cells, refusing damaged and hostile files.
//
//   const table = await readTable({ path: file.path, extension: 'csv' | 'xlsx' }, { maxRows: config.importMaxRows });
//   table.columns   the header row's names, trimmed, in file order
//   table.rows      [{ row, values: { [column]: text } }] — `row` is the number a spreadsheet shows
//                   (the header is row 1 when it is the first line); blank rows are skipped
//
// Every failure is 422 invalid-file with a message naming the line, row or column:
//  - CSV: UTF-8 only (a BOM is dropped), RFC 4180 quoting, CRLF or LF; a broken quote names the
//    line; a NUL character or invalid UTF-8 is refused. Columns are separated by commas,
//    semicolons (Excel and LibreOffice in locales with a decimal comma) or tabs: the one the header
//    row uses outside quotes; a header using two of them, or none but another separator (|), is
//    refused. A row shorter than the header is padded with empty cells, unless it holds another of
//    the three separators outside quotes (a file mixing them: refused, naming the row); a value in
//    a column without a header is refused.
//  - XLSX: the zip is inspected with yauzl BEFORE any XLSX reader touches it (inspectZip): more
//    than 1,000 entries, a declared total above 100 MB, an entry of more than 1 MB that expands
//    more than 100:1, encrypted or unusual entries, or data outside the central directory's
//    entries (a hidden local entry that a streaming reader would inflate) → "zip bomb"/"expands
//    beyond"; then every entry is inflated once into nothing, so that sizes that lie are caught
//    (yauzl stops at the declared size). Only then does exceljs's streaming reader read the first
//    worksheet (the lowest numbered xl/worksheets/sheetN.xml, which is the first tab in files saved
//    by Excel and exceljs; exceljs copies sheets to os.tmpdir() while it reads and removes the
//    copies when done): cell values become text — dates YYYY-MM-DD
//    (YYYY-MM-DDTHH:MM:SS with a time, .mmm when it has milliseconds), numbers as plain decimals
//    (Excel's 15 significant digits, no exponent), booleans true/false, formulas their cached
//    result, rich text its plain text.
//  - Both: text that starts with ' before = + - @ TAB or CR loses that ' (BUL's CSV exports write
//    it against formula injection, and a spreadsheet that turns such a CSV into XLSX keeps it in
//    the cell; exports escape text that really starts so with one more ').
//  - Both: an empty or duplicate header (case-insensitive) names the column; more than maxRows
//    data rows names the limit (the rows are still counted, so the message says how many).
import type { EventEmitter } from 'node:events';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse as parseCsv } from 'csv-parse';
import yauzl from 'yauzl';
import { AppError } from '../errors.ts';

export interface TableRow {
  /** The row number a spreadsheet shows (header = 1 when it is the first line). */
  row: number;
  values: Record<string, string>;
}

export interface Table {
  columns: string[];
  rows: TableRow[];
}

export type TableFormat = 'csv' | 'xlsx';

export interface ZipLimits {
  maxEntries: number;
  /** Most bytes all entries may expand to, together. */
  maxTotalBytes: number;
  /** Highest compression ratio of an entry larger than `ratioFloorBytes`. */
  maxRatio: number;
  ratioFloorBytes: number;
}

const MB = 1024 * 1024;
export const XLSX_ZIP_LIMITS: ZipLimits = {
  maxEntries: 1000,
  maxTotalBytes: 100 * MB,
  maxRatio: 100,
  ratioFloorBytes: 1 * MB,
};

/** Longest CSV record (bytes); a longer one is not a table anybody meant to import. */
const MAX_CSV_RECORD_BYTES = 1 * MB;

const invalid = (message: string, extra?: Record<string, unknown>) =>
  new AppError('invalid-file', message, extra ? { extra } : {});

/** A, B, ... Z, AA, AB ... as spreadsheets name columns (1-based). */
export function columnLetter(n: number): string {
  let s = '';
  for (let i = n; i > 0; i = Math.floor((i - 1) / 26)) s = String.fromCharCode(65 + ((i - 1) % 26)) + s;
  return s;
}

export async function readTable(
  file: { path: string; extension: TableFormat },
  opts: { maxRows: number },
): Promise<Table> {
  const builder = new TableBuilder(opts.maxRows);
  if (file.extension === 'csv') await readCsv(file.path, builder);
  else if (file.extension === 'xlsx') await readXlsx(file.path, builder);
  else throw invalid(`cannot import .${String(file.extension)} files; send CSV or XLSX`);
  return builder.finish();
}

// ------------------------------------------------------------------------------------------------
// Header and rows, shared by both formats

class TableBuilder {
  readonly maxRows: number;
  columns: (string | null)[] | null = null;
  rows: TableRow[] = [];
  dataRows = 0;

  constructor(maxRows: number) {
    this.maxRows = maxRows;
  }

  /** Takes one row of cells (index 0 = column A): the first non-blank one is the header. */
  add(rowNumber: number, cells: string[]): void {
    if (cells.every((c) => c.trim() === '')) return; // blank rows are skipped, not counted
    if (this.columns === null) {
      this.columns = this.header(rowNumber, cells);
      return;
    }
    this.dataRows++;
    if (this.dataRows > this.maxRows) return; // counted for the message, not kept
    const entries: [string, string][] = [];
    cells.forEach((value, i) => {
      const name = this.columns![i];
      if (name) entries.push([name, value]);
      else if (value.trim() !== '')
        throw invalid(`row ${rowNumber} has a value in column ${columnLetter(i + 1)}, which has no header`, {
          row: rowNumber,
          column: columnLetter(i + 1),
        });
    });
    for (const name of this.columns) if (name && !entries.some(([n]) => n === name)) entries.push([name, '']);
    this.rows.push({ row: rowNumber, values: Object.fromEntries(entries) });
  }

  private header(rowNumber: number, cells: string[]): (string | null)[] {
    const names = cells.map((c) => c.trim());
    // Trailing empty header cells are formatting leftovers; an empty one between names is an error.
    let last = names.length;
    while (last > 0 && names[last - 1] === '') last--;
    const seen = new Map<string, number>();
    const out: (string | null)[] = [];
    for (let i = 0; i < last; i++) {
      const name = names[i]!;
      const letter = columnLetter(i + 1);
      if (name === '')
        throw invalid(
          `column ${letter} of the header (row ${rowNumber}) is empty; every column needs a name`,
          {
            row: rowNumber,
            column: letter,
          },
        );
      const key = name.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined)
        throw invalid(
          `the header "${name}" appears twice (columns ${columnLetter(first + 1)} and ${letter}, row ${rowNumber})`,
          { row: rowNumber, column: letter },
        );
      seen.set(key, i);
      out.push(name);
    }
    for (let i = last; i < names.length; i++) out.push(null);
    return out;
  }

  finish(): Table {
    if (this.columns === null) throw invalid('the file is empty: the first row must name the columns');
    if (this.dataRows > this.maxRows)
      throw invalid(
        `the file has ${this.dataRows} data rows; at most ${this.maxRows} can be imported at once (IMPORT_MAX_ROWS)`,
        { limit: this.maxRows, rows: this.dataRows },
      );
    return { columns: this.columns.filter((c): c is string => c !== null), rows: this.rows };
  }
}

// ------------------------------------------------------------------------------------------------
// CSV

/** Passes bytes through, refusing invalid UTF-8 and NUL characters. */
function utf8Guard(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (chunk.includes(0)) {
        callback(invalid(`the CSV contains a NUL character (near byte ${offset + chunk.indexOf(0)})`));
        return;
      }
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        callback(invalid(`the CSV is not UTF-8 text (near byte ${offset}); save it as "CSV UTF-8"`));
        return;
      }
      offset += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      try {
        decoder.decode();
        callback();
      } catch {
        callback(invalid('the CSV is not UTF-8 text (it ends inside a character)'));
      }
    },
  });
}

/**
 * Undoes the formula neutralisation of BUL's exports (a ' before = + - @ TAB CR, after any
 * apostrophes the text itself starts with), so an exported file imports back as it was.
 */
const unneutralize = (cell: string): string => (/^'+[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

/** The separators a CSV may use, and how messages name them. */
const DELIMITERS: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };
const OTHER_SEPARATORS = /[|^~]/;

/** The separators of DELIMITERS that `text` (one record or line) holds outside quotes. */
function delimitersIn(text: string): Set<string> {
  const found = new Set<string>();
  let quoted = false;
  for (const ch of text) {
    if (ch === '"')
      quoted = !quoted; // a doubled quote toggles twice
    else if (!quoted && ch in DELIMITERS) found.add(ch);
  }
  return found;
}

/**
 * The separator of the header row (the first non-blank line, read up to the longest record):
 * the one of , ; TAB it holds outside quotes; a comma for a one-column header.
 */
async function detectDelimiter(filePath: string): Promise<string> {
  const handle = await open(filePath, 'r');
  let head: string;
  try {
    const buffer = Buffer.alloc(MAX_CSV_RECORD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    // not fatal: a cut character at the end is harmless here, and utf8Guard judges the whole file
    head = new TextDecoder('utf-8').decode(buffer.subarray(0, bytesRead)).replace(/^\ufeff/, '');
  } finally {
    await handle.close();
  }
  let row = 1;
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= head.length; i++) {
    const ch = head[i];
    if (ch === '"') quoted = !quoted;
    else if (i === head.length || (!quoted && (ch === '\n' || ch === '\r'))) {
      const line = head.slice(start, i);
      if (line.trim() !== '' || i === head.length) return headerDelimiter(line, row);
      if (ch === '\r' && head[i + 1] === '\n') i++;
      start = i + 1;
      row++;
    }
  }
  return ',';
}

function headerDelimiter(line: string, row: number): string {
  const found = [...delimitersIn(line)];
  if (found.length === 1) return found[0]!;
  if (found.length > 1)
    throw invalid(
      `the header row (row ${row}) separates its columns with both ${found.map((d) => `${DELIMITERS[d]}s`).join(' and ')}; save the file with one separator (a value that holds another one goes in quotes)`,
      { row, delimiters: found },
    );
  const other = OTHER_SEPARATORS.exec(line.replace(/"[^"]*"/g, ''))?.[0];
  if (other)
    throw invalid(
      `the header row (row ${row}) separates its columns with "${other}"; save the file with commas, semicolons or tabs between the columns`,
      { row, column: 'A' },
    );
  return ',';
}

async function readCsv(filePath: string, builder: TableBuilder): Promise<void> {
  const delimiter = await detectDelimiter(filePath);
  const parser = parseCsv({
    bom: true,
    delimiter,
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: MAX_CSV_RECORD_BYTES,
    info: true,
    raw: true,
  });
  const collect = new Transform({
    objectMode: true,
    transform(item: { record: string[]; raw: string; info: { records: number } }, _encoding, callback) {
      try {
        const row = item.info.records;
        const width = builder.columns?.length ?? 0;
        if (width > 1 && item.record.length < width) {
          // Short rows are padded; one that holds another separator is a file that mixes them.
          const other = [...delimitersIn(item.raw)].find((d) => d !== delimiter);
          if (other !== undefined)
            throw invalid(
              `row ${row} separates its cells with ${DELIMITERS[other]}s, but the header row uses ${DELIMITERS[delimiter]}s; save the file with one separator (a value that holds another one goes in quotes)`,
              { row },
            );
        }
        builder.add(row, item.record.map(unneutralize));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  try {
    await pipeline(createReadStream(filePath), utf8Guard(), parser, collect);
  } catch (err) {
    if (err instanceof AppError) throw err;
    const e = err as { code?: string; message?: string; lines?: number };
    if (typeof e.code === 'string' && (e.code.startsWith('CSV_') || e.code.startsWith('INVALID_'))) {
      throw invalid(`the CSV is malformed at line ${e.lines ?? '?'}: ${e.message}`, { line: e.lines });
    }
    throw err;
  }
}

// ------------------------------------------------------------------------------------------------
// XLSX: zip inspection first

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const DATA_DESCRIPTOR_SIGNATURE = 0x08074b50;

interface InspectedZip {
  names: Set<string>;
  totalBytes: number;
}

const bomb = (detail: string) =>
  invalid(`the file is refused as a possible zip bomb: ${detail}`, { reason: 'zip-bomb' });

/**
 * Checks a zip without trusting it: entry count, declared sizes and ratios, encryption, that the
 * local headers agree with the central directory and tile the file with nothing hidden between
 * them, and finally the real inflated size of every entry (stopping at the declared one).
 */
export async function inspectZip(
  filePath: string,
  limits: ZipLimits = XLSX_ZIP_LIMITS,
): Promise<InspectedZip> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(filePath, {
      lazyEntries: true,
      autoClose: false,
      validateEntrySizes: true,
      decodeStrings: true,
      strictFileNames: false,
    });
  } catch (err) {
    throw invalid(`not an XLSX file: it is not a readable zip archive (${(err as Error).message})`);
  }
  try {
    if (zip.entryCount > limits.maxEntries)
      throw bomb(`it has ${zip.entryCount} entries (at most ${limits.maxEntries})`);
    // Where the central directory starts = where the last entry's data must end.
    const centralDirectoryOffset = (zip as unknown as { readEntryCursor: unknown }).readEntryCursor;
    if (typeof centralDirectoryOffset !== 'number')
      throw new Error('yauzl: central directory offset unavailable');

    const entries: yauzl.Entry[] = [];
    let declared = 0;
    for await (const entry of zip.eachEntry()) {
      if (entries.length >= limits.maxEntries) throw bomb(`it has more than ${limits.maxEntries} entries`);
      if (entry.isEncrypted())
        throw invalid('the file is encrypted (password-protected); save it without a password');
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
        throw invalid(`the file uses an unsupported zip compression method (${entry.compressionMethod})`);
      declared += entry.uncompressedSize;
      if (declared > limits.maxTotalBytes) throw bomb(`it expands beyond ${limits.maxTotalBytes / MB} MB`);
      if (
        entry.uncompressedSize > limits.ratioFloorBytes &&
        entry.uncompressedSize > limits.maxRatio * Math.max(entry.compressedSize, 1)
      )
        throw bomb(
          `the entry ${entry.fileName} expands ${Math.round(entry.uncompressedSize / Math.max(entry.compressedSize, 1))}:1 (at most ${limits.maxRatio}:1)`,
        );
      entries.push(entry);
    }

    await checkLayout(filePath, zip, entries, centralDirectoryOffset);

    // Inflate everything once into nothing: yauzl fails as soon as an entry exceeds its declared size.
    let actual = 0;
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue;
      const stream = await zip.openReadStreamPromise(entry);
      try {
        for await (const chunk of stream) {
          actual += (chunk as Buffer).length;
          if (actual > limits.maxTotalBytes) throw bomb(`it expands beyond ${limits.maxTotalBytes / MB} MB`);
        }
      } catch (err) {
        stream.destroy();
        if (err instanceof AppError) throw err;
        const message = (err as Error).message;
        if (/too many bytes/i.test(message))
          throw bomb(`the entry ${entry.fileName} expands beyond its declared size`);
        throw invalid(`the file is damaged (${entry.fileName}: ${message})`);
      }
    }
    return { names: new Set(entries.map((e) => e.fileName)), totalBytes: actual };
  } finally {
    zip.close();
  }
}

/** Local headers must match the central directory and cover the file from 0 to the directory. */
async function checkLayout(
  filePath: string,
  zip: yauzl.ZipFile,
  entries: yauzl.Entry[],
  centralDirectoryOffset: number,
): Promise<void> {
  const spans: { start: number; end: number; name: string }[] = [];
  const handle = await open(filePath, 'r');
  try {
    for (const entry of entries) {
      let local: yauzl.LocalFileHeader;
      try {
        local = await zip.readLocalFileHeaderPromise(entry);
      } catch (err) {
        throw invalid(`the file is damaged (${entry.fileName}: ${(err as Error).message})`);
      }
      if (!local.fileName.equals(entry.fileNameRaw) || local.compressionMethod !== entry.compressionMethod)
        throw bomb(`the local header of ${entry.fileName} disagrees with the central directory`);
      let end = local.fileDataStart + entry.compressedSize;
      if (local.generalPurposeBitFlag & 0x8) {
        const zip64 = yauzl.parseExtraFields(local.extraField).some((f) => f.id === 0x0001);
        const sig = Buffer.alloc(4);
        await handle.read(sig, 0, 4, end);
        end += (sig.readUInt32LE(0) === DATA_DESCRIPTOR_SIGNATURE ? 4 : 0) + 4 + (zip64 ? 16 : 8);
      }
      spans.push({ start: entry.relativeOffsetOfLocalHeader, end, name: entry.fileName });
    }
    spans.sort((a, b) => a.start - b.start);
    let cursor = 0;
    for (const span of spans) {
      if (span.start !== cursor) {
        const sig = Buffer.alloc(4);
        await handle.read(sig, 0, 4, cursor);
        throw bomb(
          span.start < cursor
            ? `entries overlap at ${span.name}`
            : `it holds ${sig.readUInt32LE(0) === LOCAL_HEADER_SIGNATURE ? 'an entry' : 'data'} outside its directory (before ${span.name})`,
        );
      }
      cursor = span.end;
    }
    if (cursor !== centralDirectoryOffset)
      throw bomb('it holds data outside its directory (after the last entry)');
  } finally {
    await handle.close();
  }
}

// ------------------------------------------------------------------------------------------------
// XLSX: cells to text

/** exceljs's own test for date number formats (quoted text and [...] sections removed). */
function isDateFormat(fmt: string | undefined): boolean {
  if (!fmt) return false;
  const bare = fmt.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '');
  return /[ymdhMsb]+/.test(bare) && !/^general$/i.test(bare.trim());
}

function excelSerialToDate(serial: number): Date {
  return new Date(Math.round((serial - 25569) * 86_400_000));
}

/** A date cell as text: YYYY-MM-DD, with THH:MM:SS when it has a time, and .mmm when it has those. */
function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  // exceljs rounds Excel's serial day to milliseconds, which it holds exactly (~1 µs at today's dates).
  const iso = d.toISOString();
  if (iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  return iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
}

/** A number as Excel shows it at most (15 significant digits), in plain decimal notation. */
export function numberText(n: number): string {
  if (!Number.isFinite(n)) return '';
  const s = String(Number(n.toPrecision(15)));
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = '', exp] = m;
  const digits = int! + frac;
  const point = int!.length + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function cellText(value: unknown, numFmt: string | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return unneutralize(value);
  if (typeof value === 'number')
    return isDateFormat(numFmt) ? dateText(excelSerialToDate(value)) : numberText(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return dateText(value);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText))
      return unneutralize((v.richText as { text?: string }[]).map((r) => r.text ?? '').join(''));
    if ('formula' in v || 'sharedFormula' in v) return cellText(v.result, numFmt);
    if ('error' in v) return String(v.error);
    if ('text' in v) return cellText(v.text, numFmt); // hyperlink
  }
  return '';
}

async function readXlsx(filePath: string, builder: TableBuilder): Promise<void> {
  const { names } = await inspectZip(filePath);
  if (!names.has('xl/workbook.xml')) throw invalid('not an XLSX file: it has no xl/workbook.xml');
  const sheets = [...names]
    .map((n) => /^xl\/worksheets\/sheet(\d+)\.xml$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  if (sheets.length === 0) throw invalid('the workbook has no worksheet');
  const wanted = String(sheets[0]);

  // Loaded on first use: exceljs is large (~25 MB resident) and most processes never read XLSX.
  const { default: ExcelJS } = await import('exceljs');
  const input = createReadStream(filePath);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache', // needed to tell dates from numbers
    hyperlinks: 'ignore',
    entries: 'emit', // announces each worksheet's sheetN.xml number just before yielding it
  });
  let announced = '';
  (reader as unknown as EventEmitter).on('entry', (e: { type?: string; id?: unknown }) => {
    if (e.type === 'worksheet') announced = String(e.id);
  });
  // Every sheet is read to its end, even after a bad row and even the sheets not imported:
  // exceljs removes its temporary copies of the sheets only when its reading completes (the file
  // was checked above, so reading it all is bounded).
  let failure: unknown = null;
  try {
    for await (const sheet of reader) {
      const mine = announced === wanted;
      for await (const row of sheet) {
        if (!mine || failure) continue;
        const cells: string[] = [];
        row.eachCell({ includeEmpty: false }, (cell, col) => {
          while (cells.length < col - 1) cells.push('');
          cells[col - 1] = cellText(cell.value, cell.numFmt);
        });
        try {
          builder.add(row.number, cells);
        } catch (err) {
          failure = err;
        }
      }
    }
  } catch (err) {
    throw invalid(`the XLSX file cannot be read: ${(err as Error).message}`);
  } finally {
    input.destroy();
  }
  if (failure) throw failure;
}
