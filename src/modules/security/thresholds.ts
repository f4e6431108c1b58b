// The detectors' thresholds (docs/security.md lists them). Constants, not settings: they are the
// documented defaults of S8; a threat is a signal for a person to read, and the built-in alert
// rule on `security.threats` is what an organization tunes.

const MINUTE = 60_000;

export const THRESHOLDS = {
  /** One window for the failed-login detectors: the failures of the last 15 minutes. */
  loginWindowMs: 15 * MINUTE,
  /** Failed logins on one account (e-mail, across organizations) in the window. */
  burstPerAccount: 10,
  /** Failed logins from one IP address (across organizations) in the window. */
  burstPerIp: 20,
  /** Credential stuffing: distinct accounts (e-mails) tried from one IP in the window. */
  stuffingAccountsPerIp: 10,
  /** Credential stuffing: distinct IP addresses trying one account in the window. */
  stuffingIpsPerAccount: 5,
  /** Impossible travel: faster than this between two located logins of a user... */
  travelKmPerHour: 1000,
  /** ...and farther apart than this (nearby ranges of one provider geolocate a few km apart). */
  travelMinKm: 300,
  /** Mass delete: deletions (clients, projects, milestones, tasks, contracts, invoices, deals) by one user. */
  massDeleteCount: 25,
  massDeleteWindowMs: 10 * MINUTE,
  /** Mass export: exports (any format) by one user. */
  massExportCount: 10,
  massExportWindowMs: 10 * MINUTE,
  /** A detection whose key has a threat last seen within this window adds to it (one burst, one threat). */
  dedupeWindowMs: 60 * MINUTE,
  /** Failed logins and user actions are kept this long (the dashboard reads 7 days). */
  factRetentionMs: 30 * 24 * 60 * MINUTE,
} as const;

/** Permissions whose gain makes an escalation `high` (they hand out or take over access). */
export const SENSITIVE_PERMISSIONS: readonly string[] = [
  'roles:manage',
  'members:update',
  'members:remove',
  'members:invite',
  'api_keys:manage',
  'organization:update',
  'plan:manage',
  'ip_rules:manage',
  'webhooks:manage',
  'notifications:manage',
];
