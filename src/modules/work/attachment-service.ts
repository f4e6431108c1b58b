// Task attachments. The route receives the upload (size, extension and real content checked by
// platform/http/uploads.ts); this service checks who may attach, counts the bytes against the
// plan's storage limit, keeps the file under the data dir and records it, all or nothing.
import { newId } from '../../platform/db/ids.ts';
import type { Db } from '../../platform/db/transaction.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { assertVersion } from '../../platform/http/preconditions.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { moveIntoStore, type ReceivedFile } from '../../platform/http/uploads.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenancyService } from '../tenancy/service.ts';
import type { AttachmentFiles } from './attachment-files.ts';
import { WORK } from './messages.ts';
import type { AttachmentDto } from './task-schemas.ts';
import { canWorkOn, type TaskService } from './task-service.ts';
import * as store from './task-store.ts';

function attachmentToDto(a: store.AttachmentRow): AttachmentDto {
  return {
    id: a.id,
    taskId: a.task_id,
    fileName: a.file_name,
    contentType: a.content_type,
    sizeBytes: a.size_bytes,
    sha256: a.sha256,
    uploadedBy: a.uploaded_by,
    createdAt: a.created_at.toISOString(),
    updatedAt: a.updated_at.toISOString(),
    version: a.version,
  };
}

const AUDITED = (a: store.AttachmentRow) => ({
  fileName: a.file_name,
  contentType: a.content_type,
  sizeBytes: a.size_bytes,
  sha256: a.sha256,
});

export interface AttachmentContent {
  path: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
}

export class AttachmentService {
  private readonly db: Db;
  private readonly audit: AuditService;
  private readonly tenancy: TenancyService;
  private readonly tasks: TaskService;
  private readonly files: AttachmentFiles;

  constructor(deps: {
    db: Db;
    audit: AuditService;
    tenancy: TenancyService;
    tasks: TaskService;
    files: AttachmentFiles;
  }) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.tenancy = deps.tenancy;
    this.tasks = deps.tasks;
    this.files = deps.files;
  }

  /** Where uploads wait while they are checked (same file system as the store: a rename keeps them). */
  get incomingDir(): string {
    return this.files.incoming;
  }

  /** Refuses before the upload is read when the caller may not attach to the task. */
  async assertMayAttach(ctx: CallContext, taskId: string): Promise<void> {
    await this.db.transaction(tenantScope(ctx), async (tx) => {
      const task = await this.tasks.requireTask(tx, taskId);
      if (!canWorkOn(ctx, task)) {
        throw new AppError('forbidden', WORK.onlyOwnTaskFiles(), {
          extra: { permission: 'tasks:manage' },
        });
      }
    });
  }

  async listAttachments(ctx: CallContext, taskId: string): Promise<AttachmentDto[]> {
    return this.db.transaction(tenantScope(ctx), async (tx) => {
      await this.tasks.requireTask(tx, taskId);
      return (await store.listAttachments(tx, taskId)).map(attachmentToDto);
    });
  }

  /** Stores a received file as an attachment; the temporary file is the caller's to discard. */
  async addAttachment(ctx: CallContext, taskId: string, file: ReceivedFile): Promise<AttachmentDto> {
    const s = tenantScope(ctx);
    const id = newId();
    const dest = this.files.pathOf(s.orgId, id);
    try {
      return await this.audit.change(ctx, async (tx, record) => {
        const task = await this.tasks.requireTask(tx, taskId, true);
        if (!canWorkOn(ctx, task)) {
          throw new AppError('forbidden', WORK.onlyOwnTaskFiles(), {
            extra: { permission: 'tasks:manage' },
          });
        }
        await this.tenancy.organizations.reserveStorage(tx, s.orgId, file.size);
        const row = await store.insertAttachment(tx, {
          orgId: s.orgId,
          id,
          taskId,
          fileName: file.fileName,
          contentType: file.contentType,
          sizeBytes: file.size,
          sha256: file.sha256,
          uploadedBy: s.userId,
        });
        await record({
          action: 'attachment.create',
          resourceType: 'attachment',
          resourceId: id,
          changes: Object.fromEntries(
            Object.entries(AUDITED(row)).map(([k, v]) => [k, { before: null, after: v }]),
          ),
          metadata: { taskId },
        });
        // Kept before the commit: a failed commit removes it below, a crash leaves only an orphan file.
        await moveIntoStore(file, dest);
        return attachmentToDto(row);
      });
    } catch (err) {
      await this.files.remove(s.orgId, [id]);
      throw err;
    }
  }

  async attachmentContent(ctx: CallContext, taskId: string, id: string): Promise<AttachmentContent> {
    const s = tenantScope(ctx);
    const row = await this.db.transaction(s, (tx) => store.getAttachment(tx, taskId, id));
    if (!row) throw notFound('attachment');
    return {
      path: this.files.pathOf(s.orgId, id),
      fileName: row.file_name,
      contentType: row.content_type,
      sizeBytes: row.size_bytes,
      sha256: row.sha256,
    };
  }

  /** The uploader or someone with tasks:manage removes an attachment; its bytes are given back. */
  async deleteAttachment(
    ctx: CallContext,
    taskId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<void> {
    const s = tenantScope(ctx);
    await this.audit.change(ctx, async (tx, record) => {
      // Locked, so of two concurrent deletes the second finds nothing (no double refund).
      const row = await store.getAttachment(tx, taskId, id, true);
      if (!row) throw notFound('attachment');
      assertVersion(row.version, expectedVersion, 'attachment');
      if (row.uploaded_by !== s.userId && !ctx.principal.permissions.has('tasks:manage')) {
        throw new AppError('forbidden', WORK.othersAttachmentDelete(), {
          extra: { permission: 'tasks:manage' },
        });
      }
      await store.deleteAttachment(tx, id);
      await this.tenancy.organizations.releaseStorage(tx, s.orgId, row.size_bytes);
      await record({
        action: 'attachment.delete',
        resourceType: 'attachment',
        resourceId: id,
        changes: Object.fromEntries(
          Object.entries(AUDITED(row)).map(([k, v]) => [k, { before: v, after: null }]),
        ),
        metadata: { taskId },
      });
    });
    await this.files.remove(s.orgId, [id]);
  }
}
