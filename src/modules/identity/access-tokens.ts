// Access tokens: short-lived EdDSA JWTs naming the user, the session (token family) they belong
// to, the organization acted for and how the user authenticated.
import { newId } from '../../platform/db/ids.ts';
import type { SigningKeyRing } from './signing-keys.ts';

export function issueAccessToken(
  keys: SigningKeyRing,
  ttlSeconds: number,
  t: { userId: string; sessionId: string; orgId: string | null; amr: string[] },
): Promise<string> {
  return keys.sign(
    t.userId,
    { sid: t.sessionId, jti: newId(), amr: t.amr, ...(t.orgId ? { org: t.orgId } : {}) },
    { audience: 'bul-api', ttlSeconds },
  );
}
