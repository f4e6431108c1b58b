// An API key used from a network (/24, /48) it was never used from. The key's first network is
// not "new". Reported by the authenticator once a minute per key and address, off the request.
import type { Sql } from '../../../platform/db/transaction.ts';
import type { ApiKeyUseSignal } from '../../identity/service.ts';
import { networkOf } from '../network.ts';
import * as store from '../store.ts';
import type { ThreatRecorder } from '../threat-recorder.ts';

export async function detectApiKeyNetwork(
  tx: Sql,
  s: ApiKeyUseSignal,
  threats: ThreatRecorder,
): Promise<void> {
  const network = networkOf(s.ip);
  const { isNew, known } = await store.noteApiKeyNetwork(tx, s.apiKeyId, network, s.at);
  if (!isNew || known === 0) return;
  await threats.raise(tx, s.orgId, {
    type: 'api_key_new_ip',
    severity: 'medium',
    key: `api-key:${s.apiKeyId}:${network}`,
    userId: s.userId,
    ip: s.ip,
    at: s.at,
    evidence: { apiKeyId: s.apiKeyId, network, knownNetworks: known },
  });
}
