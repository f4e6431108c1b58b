// Where attachment contents live: BUL_DATA_DIR/files/<org id>/<attachment id>. The database row
// is the source of truth; files are written before the row commits and removed after it is gone,
// so a crash can leave an orphan file but never a row without its file.
import { rm } from 'node:fs/promises';
import path from 'node:path';

export class AttachmentFiles {
  readonly root: string;
  /** Where uploads are received before they are checked and kept. */
  readonly incoming: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'files');
    this.incoming = path.join(dataDir, 'files', '.incoming');
  }

  pathOf(orgId: string, attachmentId: string): string {
    return path.join(this.root, orgId, attachmentId);
  }

  /** Removes the files of deleted attachments; a missing file is not an error. */
  async remove(orgId: string, attachmentIds: readonly string[]): Promise<void> {
    await Promise.all(attachmentIds.map((id) => rm(this.pathOf(orgId, id), { force: true })));
  }
}
