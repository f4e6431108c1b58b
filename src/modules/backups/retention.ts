// Which backups retention keeps: the newest `keepLast`, and the newest of each of the last
// `daily` days, `weekly` ISO weeks and `monthly` months that have a backup (UTC), plus pinned
// ones — and then every backup a kept one depends on (an incremental's parents up to its full, a
// differential's full), so a kept backup can always be restored. Critical backups stand alone and
// are counted apart from the full/incremental/differential chains. Pure: the caller deletes.

export interface RetentionPolicy {
  keepLast: number;
  daily: number;
  weekly: number;
  monthly: number;
}

export interface RetainedRun {
  id: string;
  type: 'full' | 'incremental' | 'differential' | 'critical';
  parentId: string | null;
  baseFullId: string | null;
  at: Date;
  pinned: boolean;
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const month = (d: Date) => d.toISOString().slice(0, 7);
function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow); // the Thursday of the week decides its year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function newestPerPeriod(runs: RetainedRun[], periods: number, key: (d: Date) => string, keep: Set<string>) {
  if (periods <= 0) return;
  const seen = new Set<string>();
  for (const r of runs) {
    const k = key(r.at);
    if (seen.has(k)) continue;
    if (seen.size >= periods) break;
    seen.add(k);
    keep.add(r.id);
  }
}

function keepOf(runs: RetainedRun[], p: RetentionPolicy): Set<string> {
  const sorted = [...runs].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1));
  const keep = new Set<string>();
  for (const r of sorted.slice(0, Math.max(1, p.keepLast))) keep.add(r.id);
  for (const r of sorted) if (r.pinned) keep.add(r.id);
  newestPerPeriod(sorted, p.daily, day, keep);
  newestPerPeriod(sorted, p.weekly, isoWeek, keep);
  newestPerPeriod(sorted, p.monthly, month, keep);
  return keep;
}

/** The ids of the succeeded backups retention deletes (never one a kept backup depends on). */
export function expiredBackups(runs: readonly RetainedRun[], p: RetentionPolicy): string[] {
  const chains = runs.filter((r) => r.type !== 'critical');
  const critical = runs.filter((r) => r.type === 'critical');
  const keep = new Set([...keepOf(chains, p), ...keepOf(critical, p)]);
  const byId = new Map(runs.map((r) => [r.id, r]));
  // Close over dependencies: what a kept backup needs is kept.
  const stack = [...keep];
  while (stack.length > 0) {
    const r = byId.get(stack.pop() as string);
    if (!r) continue;
    for (const dep of [r.parentId, r.baseFullId]) {
      if (dep && !keep.has(dep)) {
        keep.add(dep);
        stack.push(dep);
      }
    }
  }
  return runs.filter((r) => !keep.has(r.id)).map((r) => r.id);
}
