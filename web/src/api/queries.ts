// The web app's data cache (TanStack Query): every read goes through a query keyed by the resource
// it shows, so a change (ours, another user's, an API client's) refreshes every screen that shows
// that resource by invalidating its key. Keys start with the resource's collection name
// (`['tasks', …]`, `['members', …]`), the rest says which listing or record it is.
//
// What the cache takes over from the former hand-written hooks: an answer belongs to the key it
// was asked for, so a slower answer for older filters never replaces the list of the newer ones;
// a "load more" belongs to its listing (changing the filters starts another one); the previous
// rows stay on screen while the next filters load.
import {
  type InfiniteData,
  keepPreviousData,
  QueryClient,
  type QueryKey,
  useInfiniteQuery,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { useCallback } from 'react';
import type { Resource } from './invalidation.ts';
import { retryTransient } from './retry.ts';

export { invalidateForEvent, type Resource } from './invalidation.ts';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (403, 404, a problem) is shown at once; asking again would only delay it. A
      // dropped connection or a 502/503/504 is asked again twice (retry.ts).
      retry: retryTransient,
      refetchOnWindowFocus: false,
      // Screens on show are kept current by the realtime connection (realtime.ts invalidates what
      // each event changed), so nothing polls. A screen still asks again when it opens (showing
      // the cache meanwhile), since some data changes without any event: organization settings,
      // API keys, audit entries, webhook deliveries.
      staleTime: 0,
    },
  },
});

/** A query key: the resource, then whatever tells this listing or record apart (ids, filters). */
export function key(resource: Resource, ...rest: unknown[]): QueryKey {
  return [resource, ...rest];
}

/**
 * One value from the API under `queryKey`: the value (null until it arrives), the error, a way to
 * load it again, and `setData` for a local change (a created or changed row, an optimistic move).
 */
export function useApiQuery<T>(
  queryKey: QueryKey,
  load: () => Promise<T>,
  /** `refetchEveryMs`: for data that changes without any event (metrics, health checks). */
  opts: { enabled?: boolean; refetchEveryMs?: number } = {},
) {
  const client = useQueryClient();
  const q = useQuery({
    queryKey,
    queryFn: load,
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
    refetchInterval: opts.refetchEveryMs ?? false,
  });
  const hash = JSON.stringify(queryKey);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `hash` stands for the key
  const setData = useCallback(
    (next: T | ((prev: T | null) => T)) =>
      client.setQueryData<T>(queryKey, (prev) =>
        typeof next === 'function' ? (next as (prev: T | null) => T)(prev ?? null) : next,
      ),
    [client, hash],
  );
  const { refetch } = q;
  const reload = useCallback(async () => void (await refetch()), [refetch]);
  return {
    data: q.data ?? null,
    error: q.error,
    /** When the value on screen arrived (for "updated at" notes). */
    updatedAt: q.dataUpdatedAt ? new Date(q.dataUpdatedAt) : null,
    reload,
    setData,
  };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Every row of a listing, page after page (for a download of all of it, or a total). */
export async function allPages<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await fetchPage(cursor);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** Applies a change to the rows of a paged listing, keeping each loaded page where it was. */
function updateRows<T>(data: InfiniteData<Page<T>, string | null>, update: (prev: T[]) => T[]) {
  const next = update(data.pages.flatMap((p) => p.items));
  let at = 0;
  const pages = data.pages.map((p, i) => {
    const from = at;
    at += p.items.length;
    return { ...p, items: i === data.pages.length - 1 ? next.slice(from) : next.slice(from, at) };
  });
  return { ...data, pages };
}

/**
 * A listing the API pages with a cursor, under `queryKey` (which holds its filters): the rows of
 * the pages loaded so far, `more` to append the next page, `setItems` for local changes. While the
 * listing of new filters loads, the previous rows stay and there is no "more" to ask for.
 */
export function usePagedQuery<T>(
  queryKey: QueryKey,
  fetchPage: (cursor: string | null) => Promise<Page<T>>,
  opts: { enabled?: boolean } = {},
) {
  const client = useQueryClient();
  const q = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
  });
  const hash = JSON.stringify(queryKey);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `hash` stands for the key
  const setItems = useCallback(
    (update: (prev: T[]) => T[]) =>
      client.setQueryData<InfiniteData<Page<T>, string | null>>(queryKey, (data) =>
        data ? updateRows(data, update) : data,
      ),
    [client, hash],
  );
  const { refetch, fetchNextPage } = q;
  const reload = useCallback(async () => void (await refetch()), [refetch]);
  const current = !q.isPlaceholderData;
  return {
    items: q.data?.pages.flatMap((p) => p.items) ?? [],
    setItems,
    /** Whether the first page has arrived (an empty list is then "none"). */
    loaded: q.data !== undefined,
    error: q.error,
    /** Whether a first page (of new filters, or again) is being asked for. */
    fetching: q.isFetching && !q.isFetchingNextPage,
    reload,
    /** Appends the next page; `hasMore` says whether there is one, `busy` while it loads. */
    more: {
      run: async () => void (await fetchNextPage()),
      busy: q.isFetchingNextPage,
      hasMore: current && q.hasNextPage,
    },
  };
}
