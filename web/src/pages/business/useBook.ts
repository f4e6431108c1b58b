// What every business page needs: the organization's currency (every amount is in it). Clients
// are picked with RemoteSelect's clientOptions and named with useNames (any number of them).
import { useMemo } from 'react';
import { api, call } from '../../api/client.ts';
import { key, useApiQuery } from '../../api/queries.ts';
import { useFormat } from '../../format/useFormat.ts';

export function useBook() {
  const f = useFormat();
  const org = useApiQuery(key('organization', 'current'), () => call(api.GET('/api/v1/organization')));
  const currency = org.data?.currency ?? null;
  return useMemo(
    () => ({
      /** The organization's currency (null until it is known). */
      currency,
      /** Decimal places a user may type for the currency (2 for USD, 0 for JPY). */
      decimals: (cur: string) => Math.round(Math.log10(f.toMinor(1, cur))),
      error: org.error,
    }),
    [currency, org.error, f],
  );
}
