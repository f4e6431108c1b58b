// Where the send page's role and department pickers (RemoteSelect) get their options. The API
// lists an organization's roles and departments whole (they are few), so a search filters here.
import { api, call } from '../../api/client.ts';
import type { OptionSource } from '../../components/RemoteSelect.tsx';

const matching = (q: string) => {
  const needle = q.toLocaleLowerCase();
  return (o: { label: string }) => !needle || o.label.toLocaleLowerCase().includes(needle);
};

/** The organization's roles, labelled in the user's language (`language` keys the cache). */
export function roleOptions(
  roleName: (role: { key: string | null; name: string }) => string,
  language: string,
): OptionSource {
  const all = async () =>
    (await call(api.GET('/api/v1/roles'))).items.map((r) => ({ value: r.id, label: roleName(r) }));
  return {
    resource: 'roles',
    scope: language,
    page: async (q) => ({ items: (await all()).filter(matching(q)), nextCursor: null }),
    names: async (ids) =>
      (await all()).filter((o) => ids.includes(o.value)).map((o) => [o.value, o.label] as const),
  };
}

/** The organization's departments, each with its place in the tree ("Sales / North"). */
async function departments() {
  const items = (await call(api.GET('/api/v1/departments'))).items;
  const names = new Map(items.map((d) => [d.id, d.name]));
  return items.map((d) => ({
    value: d.id,
    label: [...d.path.map((id) => names.get(id) ?? ''), d.name].filter(Boolean).join(' / '),
  }));
}

export const departmentOptions: OptionSource = {
  resource: 'departments',
  page: async (q) => ({ items: (await departments()).filter(matching(q)), nextCursor: null }),
  names: async (ids) =>
    (await departments()).filter((o) => ids.includes(o.value)).map((o) => [o.value, o.label] as const),
};
