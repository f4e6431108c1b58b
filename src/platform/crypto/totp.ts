// TOTP (RFC 6238) through otplib: 6 digits, 30-second steps, SHA-1 (what authenticator apps
// support), one step of clock drift either way, and no code accepted twice.
import { generateSecret, generateURI, verify } from 'otplib';

export const TOTP_PERIOD = 30;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 }); // 160 bits, base32
}

export function totpUri(opts: { secret: string; issuer: string; account: string }): string {
  return generateURI({ strategy: 'totp', issuer: opts.issuer, label: opts.account, secret: opts.secret });
}

/**
 * Checks a code; returns the time step it matched (store it: codes of that step or earlier are
 * refused afterwards), or null.
 */
export async function verifyTotp(opts: {
  secret: string;
  code: string;
  afterTimeStep?: number | null;
  now?: number;
}): Promise<number | null> {
  if (!/^\d{6}$/.test(opts.code)) return null;
  const result = await verify({
    secret: opts.secret,
    token: opts.code,
    strategy: 'totp',
    period: TOTP_PERIOD,
    epochTolerance: TOTP_PERIOD,
    ...(opts.now !== undefined ? { epoch: Math.floor(opts.now / 1000) } : {}),
    ...(opts.afterTimeStep != null ? { afterTimeStep: opts.afterTimeStep } : {}),
  }).catch(() => ({ valid: false as const }));
  return result.valid ? (result as { timeStep: number }).timeStep : null;
}
