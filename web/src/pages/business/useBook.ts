// What every business page needs: the organization's currency (every amount is in it) and its
// clients, to pick one in a form and to show a record's client by name.
import { useMemo } from 'react';
import { api, call } from '../../api/client.ts';
import { useLoad } from '../../components/useLoad.ts';
import { useFormat } from '../../format/useFormat.ts';

export function useBook() {
  const f = useFormat();
  const org = useLoad(() => call(api.GET('/api/v1/organization')), []);
  const clients = useLoad(
    async () => (await call(api.GET('/api/v1/clients', { params: { query: { limit: 200 } } }))).items,
    [],
  );
  const currency = org.data?.currency ?? null;
  return useMemo(() => {
    const names = new Map((clients.data ?? []).map((c) => [c.id, c.name]));
    return {
      /** The organization's currency (null until it is known). */
      currency,
      clients: clients.data ?? [],
      clientOptions: (clients.data ?? []).map((c) => ({ value: c.id, label: c.name })),
      clientName: (id: string | null | undefined) => (id ? (names.get(id) ?? '—') : '—'),
      /** Decimal places a user may type for the currency (2 for USD, 0 for JPY). */
      decimals: (cur: string) => Math.round(Math.log10(f.toMinor(1, cur))),
      error: org.error ?? clients.error,
    };
  }, [currency, clients.data, clients.error, org.error, f]);
}
