// File uploads: one file per multipart/form-data request, streamed to disk in constant memory and
// checked before anyone trusts it.
//
//   registerUploads(app, { maxUploadSize })          once, at the root of the app (before routes)
//   const file = await receiveUpload(request, {
//     dir: attachments.incoming,                     temporary files; same file system as the store
//     allowedExtensions: config.allowedExtensions,   lower case, no dot
//     maxBytes: config.maxUploadSize,
//   });
//   try {
//     ...check permissions, insert the row...
//     await moveIntoStore(file, finalPath);          keeps it (rename; mkdir -p)
//   } finally {
//     await file.discard();                          removes the temporary file if it was not kept
//   }
//
// What receiveUpload guarantees once it resolves:
//  - the request was multipart (else 415 unsupported-media-type) and carried exactly one file, in
//    the field `file` (else 400 validation-failed naming `file`); other fields, if any (at most 10,
//    before or after the file), come back as text in `fields`;
//  - the file is at most `maxBytes` (else 413 payload-too-large naming the limit; busboy truncates
//    silently, so `file.truncated` is checked) and not empty;
//  - its extension (from the sanitised name) is in `allowedExtensions` (else 415 unsupported-file);
//  - its content is what the extension says: binary formats by their magic numbers (file-type;
//    office formats by their zip contents), text formats (csv, txt, md, json...) by having a first
//    64 KiB that is valid UTF-8 without NUL bytes (else 415 unsupported-file);
//  - `sha256` (hex) and `size` were computed while streaming.
// On any failure the temporary file is already gone.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fileTypeFromFile } from 'file-type';
import { AppError, fieldError } from '../errors.ts';
import type { Msg } from '../i18n/message.ts';
import { UPLOAD } from './messages.ts';

export interface ReceivedFile {
  /** Where the file is now (a temporary file in `dir` until moveIntoStore). */
  path: string;
  /** The client's file name without any directory part, control or bidi characters; at most 200 characters. */
  fileName: string;
  /** Lower-case extension without the dot (one of the allowed ones). */
  extension: string;
  /** Detected MIME type (binary formats) or the text format's type (text/csv, text/plain...). */
  contentType: string;
  size: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
  /** The form's other fields (text values), e.g. `dryRun` for imports. */
  fields: Record<string, string>;
  /** Removes the temporary file; a no-op once the file was moved into the store. Never throws. */
  discard(): Promise<void>;
}

export interface ReceiveOptions {
  /** Directory for temporary files (created if missing); put it on the store's file system. */
  dir: string;
  allowedExtensions: readonly string[];
  maxBytes: number;
}

/** Extensions with no magic number: accepted when the start of the file is UTF-8 text. */
const TEXT_TYPES: Record<string, string> = {
  txt: 'text/plain',
  text: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
};

/** Extensions whose content file-type reports under another name, or that a container also covers. */
const DETECTED_AS: Record<string, readonly string[]> = {
  jpeg: ['jpg'],
  jpg: ['jpg'],
  tiff: ['tif'],
  tif: ['tif'],
  // A .zip may hold any zip-based document; the reverse is not true (a plain zip is no .docx).
  zip: ['zip', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp', 'epub'],
};

const TEXT_PROBE_BYTES = 64 * 1024;
const MAX_FIELDS = 10;
const FILE_FIELD = 'file';

/** Whether a route declares that it takes uploads (`schema.consumes` lists multipart/form-data). */
function takesUploads(request: FastifyRequest): boolean {
  const consumes = (request.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes;
  return consumes?.includes('multipart/form-data') ?? false;
}

/**
 * Registers @fastify/multipart for the whole app (one file and a few fields per request). Only
 * routes that declare `consumes: ['multipart/form-data']` take multipart bodies; the others
 * answer 415 as for any content type they do not read.
 */
export async function registerUploads(app: FastifyInstance, opts: { maxUploadSize: number }): Promise<void> {
  // preValidation: the multipart flag is set while the body is (lazily) parsed.
  app.addHook('preValidation', async (request) => {
    if (request.isMultipart() && !takesUploads(request)) {
      throw new AppError('unsupported-media-type', UPLOAD.jsonRoute());
    }
  });
  await app.register(multipart, {
    // Over-size files are reported by receiveUpload (it checks `truncated`), not thrown mid-stream.
    throwFileSizeLimit: false,
    limits: {
      fileSize: opts.maxUploadSize,
      files: 1,
      fields: MAX_FIELDS,
      fieldSize: 64 * 1024,
      fieldNameSize: 100,
      parts: MAX_FIELDS + 1,
      headerPairs: 50,
    },
  });
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1 && value % 1024 === 0) {
    value /= 1024;
    unit++;
  }
  return `${value} ${units[unit]}`;
}

/** The client's name reduced to something safe to store and to put in Content-Disposition. */
export function sanitizeFileName(raw: string): string {
  const base = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  let name = base
    // bidi controls can disguise an extension ("gnp.exe" shown as "exe.png")
    .replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\p{Cc}<>:"|?*]/gu, '_') // control characters and what Windows forbids
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if ([...name].length > 200) {
    const ext = path.extname(name).slice(0, 20);
    name = [...name.slice(0, name.length - ext.length)].slice(0, 200 - ext.length).join('') + ext;
  }
  return name || 'file';
}

function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(dot + 1).toLowerCase() : '';
}

const fileFieldError = (message: Msg, rule = 'required') =>
  new AppError('validation-failed', UPLOAD.fileDetail({ message }), {
    errors: [fieldError(FILE_FIELD, rule, message)],
  });

/** Multipart parser failures → catalogued problems. */
function translateMultipartError(err: unknown, maxBytes: number): unknown {
  if (err instanceof AppError) return err;
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'FST_FILES_LIMIT':
      return fileFieldError(UPLOAD.once(), 'maxItems');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new AppError('validation-failed', UPLOAD.tooManyFields({ max: MAX_FIELDS }), {
        errors: [fieldError('(form)', 'maxFields', UPLOAD.atMostFields({ max: MAX_FIELDS }))],
      });
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(maxBytes);
    case 'FST_PROTO_VIOLATION':
      return new AppError('validation-failed', UPLOAD.forbiddenName(), {
        errors: [fieldError('(form)', 'prototypePollution', UPLOAD.forbiddenNameField())],
      });
    default: {
      // busboy's own errors (malformed part headers, unexpected end of the form...)
      const message = (err as Error)?.message ?? '';
      if (code === 'FST_MP_PREMATURE_CLOSE' || /multipart|part|form|boundary/i.test(message)) {
        return new AppError('validation-failed', UPLOAD.malformed({ reason: message }), {
          errors: [fieldError('(form)', 'multipart', UPLOAD.malformedField())],
        });
      }
      return err;
    }
  }
}

const tooLarge = (maxBytes: number) =>
  new AppError('payload-too-large', UPLOAD.tooLarge({ size: formatBytes(maxBytes) }), {
    extra: { limit: maxBytes },
  });

/** Streams the request's single file to `opts.dir`, then checks size, extension and content. */
export async function receiveUpload(request: FastifyRequest, opts: ReceiveOptions): Promise<ReceivedFile> {
  if (typeof request.isMultipart !== 'function' || !request.isMultipart()) {
    throw new AppError('unsupported-media-type', UPLOAD.sendMultipart({ field: FILE_FIELD }));
  }
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const fields: Record<string, string> = Object.create(null);
  let tmpPath: string | null = null;
  let fileName = '';
  let extension = '';
  let size = 0;
  let sha256 = '';
  const discard = async () => {
    if (tmpPath) await rm(tmpPath, { force: true }).catch(() => {});
  };

  try {
    for await (const part of request.parts({ limits: { fileSize: opts.maxBytes } })) {
      if (part.type === 'field') {
        fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== FILE_FIELD || tmpPath !== null) {
        part.file.resume(); // drain it so that busboy can go on
        throw part.fieldname !== FILE_FIELD
          ? fileFieldError(UPLOAD.wrongField({ field: FILE_FIELD, got: part.fieldname }))
          : fileFieldError(UPLOAD.once(), 'maxItems');
      }
      // The name is known before the content: refuse a wrong extension without storing anything.
      fileName = sanitizeFileName(part.filename ?? '');
      extension = extensionOf(fileName);
      if (!extension || !opts.allowedExtensions.includes(extension)) {
        part.file.resume();
        throw new AppError(
          'unsupported-file',
          extension
            ? UPLOAD.typeRefused({ ext: extension, allowed: opts.allowedExtensions.join(', ') })
            : UPLOAD.noExtension({ allowed: opts.allowedExtensions.join(', ') }),
          { extra: { allowedExtensions: opts.allowedExtensions } },
        );
      }
      tmpPath = path.join(opts.dir, `${randomUUID()}.upload`);
      const hash = createHash('sha256');
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(part.file, meter, createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 }));
      if (part.file.truncated || size > opts.maxBytes) throw tooLarge(opts.maxBytes);
      sha256 = hash.digest('hex');
    }
    if (tmpPath === null) throw fileFieldError(UPLOAD.required());
    if (size === 0) throw fileFieldError(UPLOAD.empty(), 'minSize');
    const contentType = await verifyContent(tmpPath, extension);
    return { path: tmpPath, fileName, extension, contentType, size, sha256, fields: { ...fields }, discard };
  } catch (err) {
    await discard();
    throw translateMultipartError(err, opts.maxBytes);
  }
}

/** The content's type if it matches `extension`, else 415 unsupported-file. */
async function verifyContent(filePath: string, extension: string): Promise<string> {
  const detected = await fileTypeFromFile(filePath).catch(() => undefined);
  const textType = TEXT_TYPES[extension];
  if (textType) {
    if (detected) throw mismatch(UPLOAD.contentIs({ ext: extension, actual: detected.ext.toUpperCase() }));
    if (!(await looksLikeUtf8Text(filePath))) throw mismatch(UPLOAD.notUtf8({ ext: extension }));
    return textType;
  }
  if (!detected) throw mismatch(UPLOAD.unrecognised({ ext: extension }));
  const accepted = DETECTED_AS[extension] ?? [extension];
  if (!accepted.includes(detected.ext))
    throw mismatch(UPLOAD.contentIs({ ext: extension, actual: detected.ext.toUpperCase() }));
  return detected.mime;
}

const mismatch = (message: Msg) => new AppError('unsupported-file', message);

async function looksLikeUtf8Text(filePath: string): Promise<boolean> {
  const handle = await open(filePath, 'r');
  try {
    const buf = Buffer.alloc(TEXT_PROBE_BYTES);
    const { bytesRead } = await handle.read(buf, 0, TEXT_PROBE_BYTES, 0);
    const head = buf.subarray(0, bytesRead);
    if (head.includes(0)) return false;
    const whole = bytesRead < TEXT_PROBE_BYTES;
    try {
      // stream: true tolerates a character cut in two at the end of the probe
      new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: !whole });
      return true;
    } catch {
      return false;
    }
  } finally {
    await handle.close();
  }
}

/** Keeps a received file at `destPath` (creating its directory); `file.path` then points there. */
export async function moveIntoStore(file: ReceivedFile, destPath: string): Promise<string> {
  await mkdir(path.dirname(destPath), { recursive: true, mode: 0o700 });
  try {
    await rename(file.path, destPath);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EXDEV') throw err;
    await copyFile(file.path, destPath); // another file system: copy, then drop the temporary file
    await rm(file.path, { force: true });
  }
  file.path = destPath;
  file.discard = async () => {};
  return destPath;
}
