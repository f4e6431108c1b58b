// The oldest Node.js BUL runs on, checked before anything of BUL's loads. BUL's sources and
// scripts are TypeScript that Node runs by stripping types; an older Node refuses them with a
// stack trace about a ".ts" extension. `bin/bul.js` imports this check, and npm's prepare, prestart
// and pretest scripts run this file first (`node bin/node-version.js`), so `npm install`,
// `npm start` and `npm test` on an old Node stop with one line that says what to install.
// Plain JavaScript that any Node.js can load: it must run where the rest cannot.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MINIMUM_NODE = /** @type {const} */ ([22, 12]);

/**
 * The line refusing `version` (as in `process.version`) when it is older than MINIMUM_NODE, else null.
 * @param {string} [version]
 * @returns {string | null}
 */
export function unsupportedNode(version = process.version) {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const [wantMajor, wantMinor] = MINIMUM_NODE;
  if (major > wantMajor || (major === wantMajor && minor >= wantMinor)) return null;
  return `bul: BUL needs Node.js ${wantMajor}.${wantMinor} or later (24 LTS recommended); this is ${version}\n`;
}

/** Exits 1 with the refusal line when this Node is too old; returns otherwise. */
export function requireSupportedNode() {
  const refusal = unsupportedNode();
  if (!refusal) return;
  process.stderr.write(refusal);
  process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  requireSupportedNode();
