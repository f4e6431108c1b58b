// Whether the record an edit form is open on was changed or deleted by someone else meanwhile.
//
// The rule, and why not "another actor": an event's actor is a user, and the same user may change
// the record from another tab, the API or another control of the page; and this form's own save
// reaches the tab as an event too, usually after the save has answered (events go through the
// outbox and the worker). So an event only says "look again": once this form's own save (if any)
// has settled, the record is read, and the notice shows when its version is newer than the one
// the form started from or last saved (staleRule.ts). A deletion needs no read: forms do not delete.
import { useEffect, useRef, useState } from 'react';
import { ApiProblem } from '../api/client.ts';
import { useRealtimeEvent } from '../app/RealtimeProvider.tsx';
import { eventTouches, type StaleSubject, storedIsNewer } from './staleRule.ts';

export type StaleState<T> = { kind: 'changed'; latest: T } | { kind: 'deleted' } | null;

export interface StaleNoticeOptions<T extends { version: number }> {
  subject: StaleSubject;
  /** The record's id; undefined while the form creates one (nothing to watch). */
  id: string | undefined;
  /** The version the form edits: the one it was opened with, or its last save's. */
  version: number | undefined;
  /** Reads the stored record (a 404 means it was deleted). */
  load: () => Promise<T>;
  /** Whether a save of this form (or of this page, of the same record) is in flight. */
  saving: boolean;
}

export function useStaleNotice<T extends { version: number }>(o: StaleNoticeOptions<T>) {
  const [state, setState] = useState<StaleState<T>>(null);
  // Events seen and events checked: an event during a check (or a save) asks for another check.
  const [seen, setSeen] = useState(0);
  const [checked, setChecked] = useState(0);
  const deleted = useRef(false);
  const load = useRef(o.load);
  load.current = o.load;

  useRealtimeEvent((event) => {
    if (!o.id) return;
    const touch = eventTouches(event, o.subject, o.id);
    if (!touch) return;
    if (touch === 'deleted') deleted.current = true;
    setSeen((n) => n + 1);
  });

  const { saving, version } = o;
  useEffect(() => {
    if (seen === checked || saving || version === undefined) return;
    let cancelled = false;
    const done = () => {
      if (!cancelled) setChecked(seen);
    };
    if (deleted.current) {
      setState({ kind: 'deleted' });
      done();
      return;
    }
    load.current().then(
      (stored) => {
        if (cancelled) return;
        if (storedIsNewer(stored, { version })) setState({ kind: 'changed', latest: stored });
        done();
      },
      (err: unknown) => {
        if (cancelled) return;
        if (err instanceof ApiProblem && err.status === 404) setState({ kind: 'deleted' });
        done();
      },
    );
    return () => {
      cancelled = true;
    };
  }, [seen, checked, saving, version]);

  return {
    state,
    /** Forgets the notice (the form now shows the latest values). */
    dismiss: () => setState(null),
  };
}
