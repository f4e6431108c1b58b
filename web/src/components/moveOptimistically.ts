// A board move shown at once: the card goes to its new column before the API answers, takes the
// stored item (new version) when it does, and goes back where it was when the API refuses; the
// caller explains the refusal.
import { ApiProblem } from '../api/client.ts';

export type MoveOutcome =
  | { ok: true }
  /** stale: the item changed meanwhile (412), so the caller's list is worth reloading. */
  | { ok: false; error: unknown; stale: boolean };

export async function moveOptimistically<T extends { id: string }>(opts: {
  setItems: (update: (prev: T[]) => T[]) => void;
  /** The item as it is, and as it is shown while the API answers. */
  item: T;
  moved: T;
  /** Asks the API for the move and answers the stored item. */
  save: () => Promise<T>;
}): Promise<MoveOutcome> {
  const put = (next: T) => opts.setItems((prev) => prev.map((x) => (x.id === next.id ? next : x)));
  put(opts.moved);
  try {
    put(await opts.save());
    return { ok: true };
  } catch (error) {
    put(opts.item);
    return { ok: false, error, stale: error instanceof ApiProblem && error.code === 'precondition-failed' };
  }
}
