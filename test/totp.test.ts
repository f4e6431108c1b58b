// TOTP (src/platform/crypto/totp.ts) on the real otplib: RFC 6238 Appendix B vectors, the ±1 step
// window, replay protection and malformed codes. Optionally cross-checked against oathtool.
import { execFileSync } from 'node:child_process';
import { generate, generateSync } from 'otplib';
import { describe, expect, it } from 'vitest';
import { newTotpSecret, TOTP_PERIOD, totpUri, verifyTotp } from '../src/platform/crypto/totp.ts';
import { requirement } from './support/test-app.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

// RFC 6238 Appendix B: the seeds are ASCII digits, 20/32/64 bytes for SHA-1/SHA-256/SHA-512.
const SEEDS = {
  sha1: '12345678901234567890',
  sha256: '12345678901234567890123456789012',
  sha512: '1234567890123456789012345678901234567890123456789012345678901234',
} as const;
const RFC_SHA1_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

// [time (s), SHA1, SHA256, SHA512] — Appendix B, 8 digits.
const VECTORS: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('otplib configuration matches RFC 6238 Appendix B', () => {
  const cases = VECTORS.flatMap(([time, sha1, sha256, sha512]) => [
    { time, algorithm: 'sha1' as const, expected: sha1 },
    { time, algorithm: 'sha256' as const, expected: sha256 },
    { time, algorithm: 'sha512' as const, expected: sha512 },
  ]);

  it('covers all 18 vectors with the seed lengths of the RFC', () => {
    expect(cases).toHaveLength(18);
    expect([SEEDS.sha1.length, SEEDS.sha256.length, SEEDS.sha512.length]).toEqual([20, 32, 64]);
  });

  it.each(cases)(
    '$algorithm at T=$time gives $expected (8 digits)',
    async ({ time, algorithm, expected }) => {
      const code = await generate({
        secret: ascii(SEEDS[algorithm]),
        strategy: 'totp',
        algorithm,
        digits: 8,
        period: 30,
        epoch: time,
      });
      expect(code).toBe(expected);
    },
  );

  it('the base32 form GEZDGNBV... of the SHA-1 seed gives the same codes as the raw bytes', () => {
    for (const [time, sha1] of VECTORS) {
      expect(generateSync({ secret: RFC_SHA1_BASE32, strategy: 'totp', digits: 8, epoch: time })).toBe(sha1);
    }
  });
});

describe('verifyTotp (6 digits, SHA-1, 30 s, ±1 step)', () => {
  it.each(VECTORS)('accepts the last 6 digits of the RFC SHA-1 code at T=%i', async (time, sha1) => {
    const step = await verifyTotp({ secret: RFC_SHA1_BASE32, code: sha1.slice(-6), now: time * 1000 });
    expect(step).toBe(Math.floor(time / TOTP_PERIOD));
  });

  it.each(VECTORS)('rejects the RFC SHA-1 code of T=%i two steps later and earlier', async (time, sha1) => {
    const code = sha1.slice(-6);
    expect(
      await verifyTotp({ secret: RFC_SHA1_BASE32, code, now: (time + 2 * TOTP_PERIOD) * 1000 }),
    ).toBeNull();
    if (time >= 2 * TOTP_PERIOD) {
      expect(
        await verifyTotp({ secret: RFC_SHA1_BASE32, code, now: (time - 2 * TOTP_PERIOD) * 1000 }),
      ).toBeNull();
    }
  });

  it('accepts a code one step early or late (clock drift) and reports the step it matched', async () => {
    // T=1234567890 is in step 41152263; its code must work while the verifier is one step off.
    const code = '005924';
    const step = Math.floor(1234567890 / TOTP_PERIOD);
    for (const now of [(step - 1) * 30, step * 30, (step + 1) * 30 + 29]) {
      expect(await verifyTotp({ secret: RFC_SHA1_BASE32, code, now: now * 1000 })).toBe(step);
    }
    expect(
      await verifyTotp({ secret: RFC_SHA1_BASE32, code, now: (step - 2) * 30 * 1000 + 29_000 }),
    ).toBeNull();
    expect(await verifyTotp({ secret: RFC_SHA1_BASE32, code, now: (step + 2) * 30 * 1000 })).toBeNull();
  });

  it('rejects the 8-digit RFC code itself and the code of another secret', async () => {
    expect(await verifyTotp({ secret: RFC_SHA1_BASE32, code: '94287082', now: 59_000 })).toBeNull();
    const other = newTotpSecret();
    expect(await verifyTotp({ secret: other, code: '287082', now: 59_000 })).toBeNull();
  });

  it('defaults to the current time when `now` is not given', async () => {
    const secret = newTotpSecret();
    const code = generateSync({ secret, strategy: 'totp' });
    const step = await verifyTotp({ secret, code });
    expect(step).not.toBeNull();
    expect(Math.abs((step as number) - Math.floor(Date.now() / 1000 / TOTP_PERIOD))).toBeLessThanOrEqual(1);
  });
});

describe('replay protection (afterTimeStep)', () => {
  it('refuses the same code once its step is recorded, and earlier steps too', async () => {
    const now = 1111111111 * 1000;
    const code = '050471';
    const step = await verifyTotp({ secret: RFC_SHA1_BASE32, code, now });
    expect(step).toBe(Math.floor(1111111111 / 30));
    expect(await verifyTotp({ secret: RFC_SHA1_BASE32, code, now, afterTimeStep: step })).toBeNull();
    expect(
      await verifyTotp({ secret: RFC_SHA1_BASE32, code, now, afterTimeStep: (step as number) + 1 }),
    ).toBeNull();
    // The previous step's record does not block it.
    expect(
      await verifyTotp({ secret: RFC_SHA1_BASE32, code, now, afterTimeStep: (step as number) - 1 }),
    ).toBe(step);
    // null / undefined mean "nothing recorded yet".
    expect(await verifyTotp({ secret: RFC_SHA1_BASE32, code, now, afterTimeStep: null })).toBe(step);
  });

  it('still accepts the next step after the previous one was used', async () => {
    const secret = newTotpSecret();
    const step = Math.floor(1_700_000_000 / 30);
    const first = generateSync({ secret, strategy: 'totp', epoch: step * 30 });
    const next = generateSync({ secret, strategy: 'totp', epoch: (step + 1) * 30 });
    const used = await verifyTotp({ secret, code: first, now: step * 30 * 1000 });
    expect(used).toBe(step);
    expect(await verifyTotp({ secret, code: first, now: step * 30 * 1000, afterTimeStep: used })).toBeNull();
    expect(await verifyTotp({ secret, code: next, now: step * 30 * 1000, afterTimeStep: used })).toBe(
      step + 1,
    );
  });
});

describe('malformed codes', () => {
  it.each([
    ['five digits', '12345'],
    ['letters', 'abcdef'],
    ['seven digits', '1234567'],
    ['empty', ''],
    ['spaces around a valid code', ' 287082 '],
    ['a signed number', '-28708'],
  ])('%s (%j) → null', async (_name, code) => {
    expect(await verifyTotp({ secret: RFC_SHA1_BASE32, code, now: 59_000 })).toBeNull();
  });

  it('a secret that is not base32 gives null, not an exception', async () => {
    expect(await verifyTotp({ secret: 'not base32 !!', code: '287082', now: 59_000 })).toBeNull();
  });
});

describe('secrets and URIs', () => {
  it('newTotpSecret gives 160 random bits in base32, different each time', () => {
    const a = newTotpSecret();
    const b = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(a).not.toBe(b);
  });

  it('totpUri is an otpauth://totp URI carrying secret and issuer', () => {
    const secret = newTotpSecret();
    const uri = new URL(totpUri({ secret, issuer: 'BUL', account: 'ana@example.com' }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/BUL:ana@example.com');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('BUL');
    // Authenticator apps assume SHA1 / 6 / 30 when absent; if present they must say so.
    expect(uri.searchParams.get('algorithm') ?? 'SHA1').toBe('SHA1');
    expect(uri.searchParams.get('digits') ?? '6').toBe('6');
    expect(uri.searchParams.get('period') ?? '30').toBe('30');
  });
});

// oathtool (Debian package `oathtool`, installed by .ci/run) is an independent implementation.
function hasOathtool(): boolean {
  try {
    execFileSync('oathtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const OATHTOOL = hasOathtool();

describe('cross-check with oathtool', () => {
  const oath = (args: string[]) => execFileSync('oathtool', args, { encoding: 'utf8' }).trim();

  it('oathtool gives the RFC SHA-1 codes for the base32 seed', () => {
    if (!requirement(OATHTOOL, 'oathtool is not installed (Debian package oathtool)')) return;
    for (const [time, sha1] of VECTORS.slice(0, 5)) {
      expect(oath(['--totp', '-b', '-d', '8', '-N', `@${time}`, RFC_SHA1_BASE32])).toBe(sha1);
    }
  });

  it('verifyTotp accepts the codes oathtool computes for a fresh secret', async () => {
    if (!requirement(OATHTOOL, 'oathtool is not installed (Debian package oathtool)')) return;
    const secret = newTotpSecret();
    for (const time of [59, 1_500_000_000, 1_700_000_015, 1_900_000_029]) {
      const code = oath(['--totp', '-b', '-N', `@${time}`, secret]);
      expect(code).toMatch(/^\d{6}$/);
      expect(code).toBe(generateSync({ secret, strategy: 'totp', epoch: time }));
      expect(await verifyTotp({ secret, code, now: time * 1000 })).toBe(Math.floor(time / 30));
    }
  });
});
