// Failed-login bursts and credential stuffing, from each failed login or MFA step and each attempt
// refused by the lockout (run inline by the login path, in one transaction of its own: every
// failure, a mistyped password too, waits for it; docs/security.md has the cost). Counted across
// organizations (an attacker tries accounts of every tenant from one address), raised in the
// organization of the failure that crossed the line (the nil organization for unknown e-mails);
// the evidence holds counts, never other organizations' accounts.
import { newId } from '../../../platform/db/ids.ts';
import type { Sql } from '../../../platform/db/transaction.ts';
import type { LoginFailureSignal } from '../../identity/service.ts';
import * as store from '../store.ts';
import type { ThreatRecorder } from '../threat-recorder.ts';
import { THRESHOLDS } from '../thresholds.ts';

export async function detectLoginFailure(
  tx: Sql,
  orgId: string,
  s: LoginFailureSignal,
  threats: ThreatRecorder,
): Promise<void> {
  const email = s.email.trim().toLowerCase();
  await store.insertLoginFailure(tx, { ...s, id: newId(), email });
  const since = new Date(s.at.getTime() - THRESHOLDS.loginWindowMs);
  // One after the other: a transaction's client runs one query at a time.
  const byIp = await store.ipFailures(tx, s.ip, since);
  const byAccount = await store.accountFailures(tx, email, since);
  const windowMinutes = THRESHOLDS.loginWindowMs / 60_000;
  const common = { at: s.at, ip: s.ip, userId: s.userId };

  if (byAccount.failures >= THRESHOLDS.burstPerAccount)
    await threats.raise(tx, orgId, {
      ...common,
      type: 'failed_login_burst_account',
      severity: 'medium',
      key: `burst-account:${email}`,
      evidence: {
        email,
        failures: byAccount.failures,
        ips: byAccount.ips,
        windowMinutes,
        lastReason: s.reason,
      },
    });
  if (byAccount.ips >= THRESHOLDS.stuffingIpsPerAccount)
    await threats.raise(tx, orgId, {
      ...common,
      type: 'credential_stuffing_account',
      severity: 'high',
      key: `stuffing-account:${email}`,
      evidence: { email, ips: byAccount.ips, failures: byAccount.failures, windowMinutes },
    });
  if (byIp.failures >= THRESHOLDS.burstPerIp)
    await threats.raise(tx, orgId, {
      ...common,
      userId: null,
      type: 'failed_login_burst_ip',
      severity: 'medium',
      key: `burst-ip:${s.ip}`,
      evidence: {
        ip: s.ip,
        failures: byIp.failures,
        accounts: byIp.accounts,
        windowMinutes,
        lastEmail: email,
      },
    });
  if (byIp.accounts >= THRESHOLDS.stuffingAccountsPerIp)
    await threats.raise(tx, orgId, {
      ...common,
      userId: null,
      type: 'credential_stuffing_ip',
      severity: 'high',
      key: `stuffing-ip:${s.ip}`,
      evidence: {
        ip: s.ip,
        accounts: byIp.accounts,
        failures: byIp.failures,
        windowMinutes,
        lastEmail: email,
        userAgent: s.userAgent,
      },
    });
}
