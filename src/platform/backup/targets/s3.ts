// An S3 (or S3-compatible) target: multipart uploads through lib-storage (8 MiB parts, two in
// flight, so memory stays at ~16 MiB per upload), list by common prefix, delete in batches.

import { randomBytes } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BackupError } from '../errors.ts';
import { type BackupTarget, checkBackupId, checkKey, missing } from './target.ts';

export interface S3TargetOptions {
  bucket: string;
  prefix?: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** SDK attempts per request (default 3). */
  maxAttempts?: number;
  /** Multipart part size in bytes (default 8 MiB, S3's minimum is 5 MiB). */
  partSize?: number;
}

const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

interface AwsError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

function status(e: unknown): number | undefined {
  return (e as AwsError | null)?.$metadata?.httpStatusCode;
}

function isNotFound(e: unknown): boolean {
  const name = (e as AwsError | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (status(e) === 404 && name !== 'NoSuchBucket');
}

export class S3Target implements BackupTarget {
  readonly kind = 's3' as const;
  readonly description: string;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(o: S3TargetOptions) {
    this.bucket = o.bucket;
    this.prefix = o.prefix ? `${o.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
    if (this.prefix === '/') this.prefix = '';
    this.partSize = o.partSize ?? PART_SIZE;
    this.description = `s3 bucket ${o.bucket}${this.prefix ? ` prefix ${this.prefix}` : ''} (${o.endpoint ? `endpoint ${o.endpoint}` : `AWS ${o.region}`})`;
    this.client = new S3Client({
      region: o.region,
      forcePathStyle: o.forcePathStyle,
      maxAttempts: o.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: 10_000 },
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      ...(o.accessKeyId && o.secretAccessKey
        ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } }
        : {}),
    });
  }

  private key(key: string): string {
    checkKey(key);
    return this.prefix + key;
  }

  private failure(e: unknown, action: string, key?: string): Error {
    if (e instanceof BackupError) return e;
    const err = e as AwsError;
    if (err?.name === 'AbortError') return e as Error;
    const why =
      err?.name === 'NoSuchBucket'
        ? `bucket ${this.bucket} does not exist`
        : status(e) === 403
          ? 'access denied'
          : (err?.message ?? String(e)) || String(err?.name);
    return new BackupError(
      'target_unavailable',
      `${this.description} failed while ${action}: ${why}`,
      { ...(key === undefined ? {} : { part: key }), cause: err?.name ?? err?.code, status: status(e) },
      { cause: e },
    );
  }

  async put(
    key: string,
    body: Readable,
    opts?: { contentLength?: number; signal?: AbortSignal },
  ): Promise<{ bytes: number }> {
    const Key = this.key(key);
    let bytes = 0;
    // The body's own error (a failing source, a corrupt part) must win over the SDK's report of it.
    let bodyError: unknown = null;
    body.once('error', (e) => {
      bodyError = e;
    });
    const counted = body.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          cb(null, chunk);
        },
      }),
    );
    body.once('error', (e) => counted.destroy(e));
    const abort = new AbortController();
    const onAbort = () => abort.abort(opts?.signal?.reason);
    opts?.signal?.addEventListener('abort', onAbort, { once: true });
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key,
        Body: counted,
        ...(opts?.contentLength !== undefined ? { ContentLength: opts.contentLength } : {}),
      },
      partSize: this.partSize,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
      abortController: abort,
    });
    try {
      await upload.done();
      return { bytes };
    } catch (e) {
      body.destroy();
      counted.destroy();
      if (bodyError) throw bodyError;
      if (opts?.signal?.aborted) throw opts.signal.reason ?? e;
      throw this.failure(e, `writing ${key}`, key);
    } finally {
      opts?.signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(key: string, opts?: { start?: number }): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key(key),
          ...(opts?.start ? { Range: `bytes=${opts.start}-` } : {}),
        }),
      );
      return out.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) throw missing(key, this.description);
      throw this.failure(e, `reading ${key}`, key);
    }
  }

  async head(key: string): Promise<{ bytes: number } | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return { bytes: out.ContentLength ?? 0 };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw this.failure(e, `reading ${key}`, key);
    }
  }

  async list(prefix = ''): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            Delimiter: '/',
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const p of out.CommonPrefixes ?? []) {
          const id = p.Prefix?.slice(this.prefix.length).replace(/\/$/, '');
          if (id && !id.startsWith('.')) ids.push(id);
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw this.failure(e, 'listing backups');
    }
    return ids.sort();
  }

  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async removeBackup(backupId: string): Promise<void> {
    checkBackupId(backupId);
    try {
      const keys = await this.keysUnder(`${this.prefix}${backupId}/`);
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failed = out.Errors?.filter((e) => e.Code !== 'NoSuchKey') ?? [];
        if (failed.length > 0) {
          throw new BackupError(
            'target_unavailable',
            `${this.description} failed to remove ${failed.length} objects of backup ${backupId}: ${failed[0]?.Code} ${failed[0]?.Message ?? ''}`.trim(),
            { backupId },
          );
        }
      }
    } catch (e) {
      throw this.failure(e, `removing backup ${backupId}`);
    }
  }

  async probe(): Promise<void> {
    const Key = `${this.prefix}.probe-${randomBytes(6).toString('hex')}`;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: 'bul backup probe\n' }));
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (e) {
      if ((e as AwsError)?.name === 'NotFound' || status(e) === 404) {
        throw new BackupError(
          'target_unavailable',
          `${this.description} is not available: bucket ${this.bucket} does not exist`,
          {
            cause: 'NoSuchBucket',
          },
        );
      }
      throw this.failure(e, 'probing');
    }
  }
}
