// The signed-in member's in-app inbox as the bell and the inbox page read it: the unread count,
// the notifications page by page, and marking them read. Every key starts with 'notifications', so
// the personal event notification.created (invalidation.ts) refreshes whichever is on screen: no
// polling.
import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { api, call } from '../api/client.ts';
import { key, useApiQuery, usePagedQuery } from '../api/queries.ts';
import type { Ok } from '../api/types.ts';

export type InboxItem = Ok<'/api/v1/me/notifications'>['items'][number];

const UNREAD_KEY = key('notifications', 'unread-count');
const INBOX_KEY = key('notifications', 'inbox');

/** How many of my notifications are unread (null until known). */
export function useUnreadCount(): number | null {
  const q = useApiQuery(UNREAD_KEY, () => call(api.GET('/api/v1/me/notifications/unread-count')));
  return q.data?.unread ?? null;
}

/** My notifications, newest first, `limit` a page; unread ones only with `unread`. */
export function useInbox(opts: { unread: boolean; limit: number; enabled?: boolean }) {
  return usePagedQuery<InboxItem>(
    [...INBOX_KEY, { unread: opts.unread, limit: opts.limit }],
    (cursor) =>
      call(
        api.GET('/api/v1/me/notifications', {
          params: {
            query: {
              limit: opts.limit,
              ...(opts.unread ? { unread: true } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
    { enabled: opts.enabled ?? true },
  );
}

/**
 * Marks some notifications (ids) or all of them read; the count the server answers shows at once,
 * and every inbox listing is asked for again.
 */
export function useMarkRead() {
  const client = useQueryClient();
  return useCallback(
    async (which: string[] | 'all') => {
      const body = which === 'all' ? { all: true as const } : { ids: which };
      const r = await call(api.POST('/api/v1/me/notifications/read', { body }));
      client.setQueryData(UNREAD_KEY, { unread: r.unread });
      await client.invalidateQueries({ queryKey: INBOX_KEY });
    },
    [client],
  );
}

/**
 * The path in this app a notification's link points to (links are BUL's public URL and a path),
 * or null when it points nowhere in particular (the home page) or is not a web address.
 */
export function linkPath(link: string | null): string | null {
  if (!link) return null;
  try {
    const url = new URL(link, window.location.origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    const path = `${url.pathname}${url.search}`;
    return path === '/' ? null : path;
  } catch {
    return null;
  }
}
