// HTTP routes of task attachments: multipart upload, list, download, delete.
import { open } from 'node:fs/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import { notFound } from '../../platform/errors.ts';
import { contentDisposition } from '../../platform/export/send-export.ts';
import { IdParams, NoContent } from '../../platform/http/common-schemas.ts';
import { requires } from '../../platform/http/permissions.ts';
import { IfMatchHeaders, ifMatchVersion } from '../../platform/http/preconditions.ts';
import { callContext } from '../../platform/http/request-context.ts';
import { receiveUpload } from '../../platform/http/uploads.ts';
import type { WorkService } from './service.ts';
import { Attachment, TaskChildParams } from './task-schemas.ts';

const Binary = Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'The file content.' });

export const attachmentRoutes: FastifyPluginAsyncTypebox<{ work: WorkService; config: Config }> = async (
  app,
  { work, config },
) => {
  const { attachments } = work;

  app.get(
    '/tasks/:id/attachments',
    {
      schema: {
        tags: ['tasks'],
        summary: "The task's attachments",
        params: IdParams,
        response: { 200: Type.Object({ items: Type.Array(Attachment), nextCursor: Type.Null() }) },
      },
      config: { access: requires('tasks:read') },
    },
    async (request) => ({
      items: await attachments.listAttachments(callContext(request), request.params.id),
      nextCursor: null,
    }),
  );

  app.post(
    '/tasks/:id/attachments',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Attach a file (multipart/form-data, field `file`)',
        description: `Streamed to disk with its SHA-256. Refused: larger than MAX_UPLOAD_SIZE (413), an extension outside ALLOWED_EXTENSIONS or content that is not what the extension says (415 \`unsupported-file\`), over the plan's storage (403 \`quota-exceeded\`). Needs tasks:manage, or tasks:work on a task assigned to you.`,
        consumes: ['multipart/form-data'],
        params: IdParams,
        response: { 201: Attachment },
      },
      config: { access: requires('tasks:work'), problems: ['quota-exceeded'] },
    },
    async (request, reply) => {
      const ctx = callContext(request);
      await attachments.assertMayAttach(ctx, request.params.id);
      const file = await receiveUpload(request, {
        dir: attachments.incomingDir,
        allowedExtensions: config.allowedExtensions,
        maxBytes: config.maxUploadSize,
      });
      try {
        return reply.code(201).send(await attachments.addAttachment(ctx, request.params.id, file));
      } finally {
        await file.discard();
      }
    },
  );

  app.get(
    '/tasks/:id/attachments/:childId',
    {
      schema: {
        operationId: 'downloadTaskAttachment',
        tags: ['tasks'],
        summary: 'Download an attachment',
        description: 'Always sent as a download (Content-Disposition: attachment), never rendered inline.',
        params: TaskChildParams,
        produces: ['application/octet-stream'],
        response: { 200: Binary },
      },
      config: { access: requires('tasks:read') },
    },
    async (request, reply) => {
      const file = await attachments.attachmentContent(
        callContext(request),
        request.params.id,
        request.params.childId,
      );
      // Opened before answering: a delete that wins the race is a 404, not a broken download.
      const handle = await open(file.path, 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw notFound('attachment');
        throw err;
      });
      return reply
        .type(file.contentType)
        .header('content-length', file.sizeBytes)
        .header('content-disposition', contentDisposition(file.fileName))
        .header('digest', `sha-256=${Buffer.from(file.sha256, 'hex').toString('base64')}`)
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(handle.createReadStream());
    },
  );

  app.delete(
    '/tasks/:id/attachments/:childId',
    {
      schema: {
        headers: IfMatchHeaders,
        tags: ['tasks'],
        summary: "Delete an attachment (mine, or anyone's with tasks:manage; honours If-Match)",
        params: TaskChildParams,
        response: { 204: NoContent },
      },
      config: { access: requires('tasks:work') },
    },
    async (request, reply) => {
      await attachments.deleteAttachment(
        callContext(request),
        request.params.id,
        request.params.childId,
        ifMatchVersion(request),
      );
      return reply.code(204).send(null);
    },
  );
};
