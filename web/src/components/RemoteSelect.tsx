// A select over a collection too large to load whole (an organization's 5,000 members, its
// clients, its projects): what the user types searches on the server (the list's `q`, debounced),
// the answer pages with its cursor, and scrolling to the end of the dropdown loads the next page.
// The chosen option stays shown when a later search no longer contains it.
import { Select, type SelectProps } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import { key, type Page, type Resource, useApiQuery, usePagedQuery } from '../api/queries.ts';

export interface Option {
  value: string;
  label: string;
}

/** Where a picker's options come from: a collection, one page of it for a search, names by id. */
export interface OptionSource {
  resource: Resource;
  /** What narrows the collection (e.g. a client's projects), part of the cache key. */
  scope?: unknown;
  page: (q: string, cursor: string | null) => Promise<Page<Option>>;
  /** The names of these ids (an id that no longer exists is left out). */
  names: (ids: string[]) => Promise<(readonly [string, string])[]>;
}

const PAGE = 50;
const cursorOf = (cursor: string | null) => (cursor ? { cursor } : {});
const search = (q: string) => (q ? { q } : {});
/** One record's name by id, or nothing when it is gone (404) or hidden (403). */
async function each(ids: string[], one: (id: string) => Promise<string>) {
  const found = await Promise.all(
    ids.map((id) =>
      one(id).then(
        (name) => [id, name] as const,
        () => null,
      ),
    ),
  );
  return found.filter((x) => x !== null);
}

/** Members by user id (what assignees, owners and actors are), labelled by name. */
export const memberOptions: OptionSource = {
  resource: 'members',
  page: async (q, cursor) => {
    const r = await call(
      api.GET('/api/v1/members', { params: { query: { limit: PAGE, ...search(q), ...cursorOf(cursor) } } }),
    );
    return { items: r.items.map((m) => ({ value: m.userId, label: m.name })), nextCursor: r.nextCursor };
  },
  names: async (ids) => {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += 200) chunks.push(ids.slice(i, i + 200));
    const pages = await Promise.all(
      chunks.map((user_id) =>
        call(api.GET('/api/v1/members', { params: { query: { user_id, limit: 200 } } })),
      ),
    );
    return pages.flatMap((p) => p.items.map((m) => [m.userId, m.name] as const));
  },
};

export const clientOptions: OptionSource = {
  resource: 'clients',
  page: async (q, cursor) => {
    const r = await call(
      api.GET('/api/v1/clients', {
        params: { query: { limit: PAGE, sort: 'name', ...search(q), ...cursorOf(cursor) } },
      }),
    );
    return { items: r.items.map((c) => ({ value: c.id, label: c.name })), nextCursor: r.nextCursor };
  },
  names: (ids) =>
    each(ids, async (id) => (await call(api.GET('/api/v1/clients/{id}', { params: { path: { id } } }))).name),
};

/**
 * Every organization of the installation (super admins), labelled "name (subdomain)". The list
 * answers all matches of `q` at once; only the first PAGE are offered: typing narrows the rest.
 */
export const platformOrganizationOptions: OptionSource = {
  resource: 'organization',
  scope: 'platform',
  page: async (q) => {
    const r = await call(api.GET('/api/v1/admin/organizations', { params: { query: search(q) } }));
    return {
      items: r.items.slice(0, PAGE).map((o) => ({ value: o.id, label: `${o.name} (${o.subdomain})` })),
      nextCursor: null,
    };
  },
  // There is no organization by id for a super admin: the whole list, kept to these ids.
  names: async (ids) => {
    const r = await call(api.GET('/api/v1/admin/organizations'));
    return r.items
      .filter((o) => ids.includes(o.id))
      .map((o) => [o.id, `${o.name} (${o.subdomain})`] as const);
  },
};

/** The organization's projects, or one client's. */
export function projectOptions(clientId: string | null = null): OptionSource {
  return {
    resource: 'projects',
    scope: clientId,
    page: async (q, cursor) => {
      const r = await call(
        api.GET('/api/v1/projects', {
          params: {
            query: {
              limit: PAGE,
              sort: 'name',
              ...(clientId ? { clientId } : {}),
              ...search(q),
              ...cursorOf(cursor),
            },
          },
        }),
      );
      return { items: r.items.map((p) => ({ value: p.id, label: p.name })), nextCursor: r.nextCursor };
    },
    names: (ids) =>
      each(
        ids,
        async (id) => (await call(api.GET('/api/v1/projects/{id}', { params: { path: { id } } }))).name,
      ),
  };
}

/**
 * Names for the ids a screen shows (a board's assignees, a list's clients), asked for by those ids
 * only, so they are right in an organization of any size. Answers undefined while unknown.
 */
export function useNames(source: OptionSource, ids: readonly (string | null | undefined)[]) {
  const wanted = [...new Set(ids.filter((id): id is string => !!id))].sort();
  const names = useApiQuery(key(source.resource, 'names', wanted), () => source.names(wanted), {
    enabled: wanted.length > 0,
  });
  const byId = new Map(names.data ?? []);
  return (id: string | null | undefined): string | undefined => (id ? byId.get(id) : undefined);
}

type Props = Omit<SelectProps, 'data' | 'value' | 'onChange' | 'searchable' | 'filter'> & {
  source: OptionSource;
  value: string | null;
  onChange: (value: string | null, option: Option | null) => void;
};

export function RemoteSelect({ source, value, onChange, ...rest }: Props) {
  const [chosen, setChosen] = useState<Option | null>(null);
  const [typed, setTyped] = useState('');
  const [opened, setOpened] = useState(false);
  // A value chosen elsewhere (a stored record's client) is named by its id.
  const name = useNames(source, chosen?.value === value ? [] : [value]);
  const label = value === null ? undefined : chosen?.value === value ? chosen.label : name(value);
  const selected = value !== null && label !== undefined ? { value, label } : null;
  // The search box shows the chosen option's label: that is no search.
  const [q] = useDebouncedValue(typed === selected?.label ? '' : typed.trim(), 250);
  const list = usePagedQuery(
    [source.resource, 'options', source.scope ?? null, q],
    (cursor) => source.page(q, cursor),
    // Nothing is asked until the dropdown opens (a form with three pickers costs no requests).
    { enabled: opened },
  );
  const data = [...list.items];
  if (selected && !data.some((o) => o.value === selected.value)) data.unshift(selected);
  return (
    <Select
      {...rest}
      data={data}
      value={value}
      searchable
      searchValue={typed}
      onSearchChange={setTyped}
      // The server already filtered by what was typed (name, e-mail, …); Mantine must not filter again.
      filter={({ options }) => options}
      onDropdownOpen={() => setOpened(true)}
      onChange={(v) => {
        const option = data.find((o) => o.value === v) ?? null;
        setChosen(option);
        onChange(v, option);
      }}
      nothingFoundMessage={list.loaded ? rest.nothingFoundMessage : undefined}
      scrollAreaProps={{
        onBottomReached: () => {
          if (list.more.hasMore && !list.more.busy) void list.more.run();
        },
      }}
      maxDropdownHeight={280}
    />
  );
}
