// Raising a threat: one row per detection key and window (a burst of 300 failed logins is one
// threat seen 300 times, not 300 threats), the domain event `security.threat_detected` when the
// threat is new, and the `security.threats` counter (label severity) once the transaction commits.
// Threats of the platform (the nil organization: failed logins of unknown e-mails) emit no domain
// event — events belong to an organization — and no metric sample (`security.threats` is an
// organization metric); they are read with scope=platform.
import { newId, PLATFORM_ORG_ID } from '../../platform/db/ids.ts';
import type { Sql } from '../../platform/db/transaction.ts';
import { emitEvents } from '../../platform/events/outbox.ts';
import * as store from './store.ts';
import { THRESHOLDS } from './thresholds.ts';

export interface Detection {
  type: store.ThreatType;
  severity: store.Severity;
  /** What makes two detections the same threat (e.g. `ip:203.0.113.7`), within the dedupe window. */
  key: string;
  userId?: string | null;
  ip?: string | null;
  evidence: Record<string, unknown>;
  at: Date;
}

/** Counts a new threat in the threat's transaction (monitoring's `security.threats`). */
export type ThreatCounter = (tx: Sql, orgId: string, severity: store.Severity, at: Date) => Promise<void>;

export class ThreatRecorder {
  private counter: ThreatCounter | null = null;

  countWith(counter: ThreatCounter): void {
    this.counter = counter;
  }

  /**
   * Records the detection in `tx` (a transaction of organization `orgId`); answers the threat and
   * whether it is new.
   */
  async raise(tx: Sql, orgId: string, d: Detection): Promise<{ threat: store.ThreatRow; created: boolean }> {
    await store.lockKey(tx, orgId, d.key);
    const since = new Date(d.at.getTime() - THRESHOLDS.dedupeWindowMs);
    const seen = await store.bumpThreat(tx, { key: d.key, since, at: d.at, evidence: d.evidence });
    if (seen) return { threat: seen, created: false };
    const threat = await store.insertThreat(tx, {
      id: newId(),
      type: d.type,
      severity: d.severity,
      userId: d.userId ?? null,
      ip: d.ip ?? null,
      key: d.key,
      evidence: d.evidence,
      at: d.at,
    });
    if (orgId === PLATFORM_ORG_ID) return { threat, created: true };
    await emitEvents(tx, orgId, { type: 'system', id: null }, [
      {
        type: 'security.threat_detected',
        payload: {
          id: threat.id,
          type: threat.type,
          severity: threat.severity,
          userId: threat.user_id,
          ip: threat.ip,
          detectedAt: threat.detected_at.toISOString(),
        },
      },
    ]);
    await this.counter?.(tx, orgId, threat.severity, threat.detected_at);
    return { threat, created: true };
  }
}
