// Password policy: at least PASSWORD_MIN_LENGTH (≥ 12) characters, at most 128, and not a
// commonly breached password. The bundled list is zxcvbn-ts's 49k most common passwords from
// public breach corpora; a common password padded with digits or symbols ("password1234!") or a
// short pattern repeated ("abcabcabcabc") counts as common too.
import { createRequire } from 'node:module';
import { AppError, fieldError } from '../../platform/errors.ts';
import type { Msg } from '../../platform/i18n/message.ts';
import { IDENTITY } from './messages.ts';

export const PASSWORD_MAX_LENGTH = 128;

let common: Set<string> | null = null;
/** Loaded on first use: the dictionaries weigh about 16 MB, and most processes never check a password. */
function commonPasswords(): Set<string> {
  if (!common) {
    const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as {
      dictionary: Record<string, string[]>;
    };
    common = new Set(dictionary['passwords-common'] ?? []);
  }
  return common;
}

/** Why a password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, minLength: number, personal: string[] = []): Msg | null {
  if ([...password].length < minLength) return IDENTITY.passwordTooShort({ min: minLength });
  if (password.length > PASSWORD_MAX_LENGTH) return IDENTITY.passwordTooLong({ max: PASSWORD_MAX_LENGTH });
  const lower = password.toLowerCase();
  const list = commonPasswords();
  if (list.has(lower)) return IDENTITY.passwordCommon();
  const core = lower.replace(/^[\d\W_]+/, '').replace(/[\d\W_]+$/, '');
  if (core.length >= 4 && core.length < minLength && list.has(core)) return IDENTITY.passwordCommonPadded();
  if (/^(.{1,4})\1+$/.test(lower)) return IDENTITY.passwordRepeated();
  if (new Set(lower).size < 4) return IDENTITY.passwordFewCharacters();
  for (const p of personal) {
    const token = p.toLowerCase().split('@')[0] ?? '';
    if (token.length >= 4 && lower.includes(token)) return IDENTITY.passwordPersonal();
  }
  return null;
}

export function assertPasswordAcceptable(
  password: string,
  minLength: number,
  personal: string[] = [],
  field = 'password',
): void {
  const problem = passwordProblem(password, minLength, personal);
  if (problem) {
    throw new AppError('weak-password', IDENTITY.weakPassword({ field, problem }), {
      errors: [fieldError(field, 'passwordPolicy', problem)],
    });
  }
}
