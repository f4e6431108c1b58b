// A member's in-app inbox: their notifications on the in_app channel, newest first, read and
// unread; marking one or all read. Filled by the planner (and announced over /ws as the personal
// event notification.created); each member sees only their own (the queries name the caller).
import type { Db } from '../../platform/db/transaction.ts';
import { decodeCursor, isIdCursor, type PageOf, toPage } from '../../platform/http/pagination.ts';
import { type CallContext, tenantScope } from '../../platform/http/request-context.ts';
import { type InboxItemDto, inboxItemDto } from './dto.ts';
import * as store from './store.ts';

export class InboxService {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async list(
    ctx: CallContext,
    q: { unread?: boolean; limit?: number; cursor?: string },
  ): Promise<PageOf<InboxItemDto> & { unread: number }> {
    const limit = q.limit ?? 30;
    const cursor = decodeCursor(q.cursor, isIdCursor);
    const s = tenantScope(ctx);
    return this.db.transaction(s, async (tx) => {
      const rows = await store.inbox(tx, {
        userId: s.userId,
        unreadOnly: q.unread ?? false,
        beforeId: cursor?.id,
        limit,
      });
      const page = toPage(rows, limit, inboxItemDto, (r) => ({ id: r.id }));
      return { ...page, unread: await store.unreadCount(tx, s.userId) };
    });
  }

  async unreadCount(ctx: CallContext): Promise<{ unread: number }> {
    const s = tenantScope(ctx);
    return { unread: await this.db.transaction(s, (tx) => store.unreadCount(tx, s.userId)) };
  }

  /** Marks the given notifications (or all) read; answers how many changed and what stays unread. */
  async markRead(
    ctx: CallContext,
    ids: readonly string[] | 'all',
  ): Promise<{ marked: number; unread: number }> {
    const s = tenantScope(ctx);
    return this.db.transaction(s, async (tx) => {
      const marked = await store.markRead(tx, s.userId, ids);
      return { marked, unread: await store.unreadCount(tx, s.userId) };
    });
  }
}
