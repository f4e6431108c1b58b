// Pickers of the rule form: roles and departments come whole from the API (an organization has
// tens, not thousands), so a search filters them here; members page on the server (memberOptions).
import { api, call } from '../../api/client.ts';
import type { Option, OptionSource } from '../../components/RemoteSelect.tsx';

const matching = (q: string, options: Option[]) => {
  const needle = q.toLocaleLowerCase();
  return needle ? options.filter((o) => o.label.toLocaleLowerCase().includes(needle)) : options;
};

async function roles(): Promise<Option[]> {
  const r = await call(api.GET('/api/v1/roles'));
  return r.items.map((role) => ({ value: role.id, label: role.name }));
}

async function departments(): Promise<Option[]> {
  const r = await call(api.GET('/api/v1/departments'));
  return r.items.map((d) => ({ value: d.id, label: d.name }));
}

function wholeList(resource: OptionSource['resource'], load: () => Promise<Option[]>): OptionSource {
  return {
    resource,
    page: async (q) => ({ items: matching(q, await load()), nextCursor: null }),
    names: async (ids) =>
      (await load()).filter((o) => ids.includes(o.value)).map((o) => [o.value, o.label] as const),
  };
}

export const roleOptions = wholeList('roles', roles);
export const departmentOptions = wholeList('departments', departments);
