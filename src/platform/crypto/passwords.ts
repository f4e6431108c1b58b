// Password hashing: argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane). bcrypt hashes
// (users imported from other systems) still verify, and are replaced with argon2id on next login.
import { availableParallelism } from 'node:os';
import * as argon2 from '@node-rs/argon2';
import * as bcrypt from '@node-rs/bcrypt';
import pLimit from 'p-limit';

const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

// Hashes run on libuv's thread pool (4 threads by default). At most one per CPU at a time: more
// would not hash faster, and would leave no pool thread free for the process's other work.
const hashing = pLimit(Math.max(1, availableParallelism()));

export function hashPassword(password: string): Promise<string> {
  return hashing(() => argon2.hash(password, ARGON2_OPTIONS));
}

const isBcrypt = (hash: string) => /^\$2[abxy]\$\d{2}\$/.test(hash);

// Verifying against this when the account does not exist keeps the answer time the same.
let dummyHash: Promise<string> | null = null;

export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (!hash) {
    dummyHash ??= hashPassword('not-a-real-password-just-for-timing');
    const hash = await dummyHash;
    await hashing(() => argon2.verify(hash, password));
    return false;
  }
  try {
    if (isBcrypt(hash)) return await hashing(() => bcrypt.verify(password, hash));
    return await hashing(() => argon2.verify(hash, password));
  } catch {
    return false; // a malformed stored hash never matches
  }
}

/** Whether a stored hash should be replaced by a fresh argon2id one (bcrypt, or weaker argon2). */
export function needsRehash(hash: string): boolean {
  if (isBcrypt(hash)) return true;
  if (!hash.startsWith('$argon2id$')) return true;
  try {
    const o = argon2.parseOptions(hash);
    return o.memoryCost < ARGON2_OPTIONS.memoryCost || o.timeCost < ARGON2_OPTIONS.timeCost;
  } catch {
    return true;
  }
}
