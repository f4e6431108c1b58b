// A list the API pages with a cursor: its first page loads (again) when `deps` change or on
// `reload`, and `more` appends the next page. A page is kept only while it belongs to the listing
// on screen: a "load more" answered after the filters changed, or after the list was reloaded, is
// dropped (appending it would mix another listing's rows into this one), and so is its failure,
// as useLoad drops an older first page. While a new listing loads there is no "more" to ask for.
import { useRef, useState } from 'react';
import { useLoad } from './useLoad.ts';
import { useSubmit } from './useSubmit.ts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function usePagedList<T>(
  fetchPage: (cursor: string | null) => Promise<Page<T>>,
  deps: readonly unknown[],
) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  /** Which listing is on screen: every first-page load starts a new one. */
  const listing = useRef(0);

  const first = useLoad(
    () => {
      listing.current++;
      setCursor(null);
      more.clear(); // a failed "load more" of the previous listing is no longer news
      return fetchPage(null);
    },
    deps,
    (page) => {
      setItems(page.items);
      setCursor(page.nextCursor);
    },
  );

  const more = useSubmit(async () => {
    if (!cursor) return;
    const mine = listing.current;
    const page = await fetchPage(cursor).catch((err: unknown) => {
      if (mine === listing.current) throw err;
      return null; // the failure of a page nobody is looking at any more
    });
    if (!page || mine !== listing.current) return;
    setItems((prev) => [...prev, ...page.items]);
    setCursor(page.nextCursor);
  });

  return {
    items,
    /** For local edits (an optimistic move, a created or changed row). */
    setItems,
    /** Whether the first page of the current listing has arrived (an empty list is then "none"). */
    loaded: first.data !== null,
    error: first.error ?? more.error,
    reload: first.reload,
    /** Appends the next page; `hasMore` says whether there is one, `busy` while it loads. */
    more: { run: more.run, busy: more.busy, hasMore: cursor !== null },
  };
}
