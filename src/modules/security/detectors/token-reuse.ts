// Refresh-token reuse: a spent refresh token came back, so it was stolen or replayed; identity has
// already revoked the session. Always a threat (high): one per session.
import type { Sql } from '../../../platform/db/transaction.ts';
import type { TokenReuseSignal } from '../../identity/service.ts';
import type { ThreatRecorder } from '../threat-recorder.ts';

export async function detectTokenReuse(
  tx: Sql,
  orgId: string,
  s: TokenReuseSignal,
  threats: ThreatRecorder,
): Promise<void> {
  await threats.raise(tx, orgId, {
    type: 'refresh_token_reuse',
    severity: 'high',
    key: `token-reuse:${s.sessionId}`,
    userId: s.userId,
    ip: s.ip,
    at: s.at,
    evidence: { sessionId: s.sessionId, userAgent: s.userAgent, sessionRevoked: true },
  });
}
