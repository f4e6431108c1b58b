// Opaque bearer secrets (refresh tokens, session cookies, API keys, invitations): random bytes,
// shown once, stored only as a SHA-256 digest. They carry 256 bits of entropy, so a fast hash is
// the right tool here (argon2 is for low-entropy passwords).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

export function digestToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
