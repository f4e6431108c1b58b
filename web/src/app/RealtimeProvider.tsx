// The signed-in tab's realtime connection as React sees it: opened for the member's current
// organization, closed at sign-out (this provider unmounts with the signed-in frame) and opened
// anew when the organization changes (events and the last event id belong to one organization).
// Components listen to events with useRealtimeEvent, and may show useRealtimeState.
import { createContext, type ReactNode, use, useEffect, useMemo, useRef, useState } from 'react';
import { queryClient } from '../api/queries.ts';
import { RealtimeConnection, type RealtimeState } from '../api/realtime.ts';
import type { RealtimeEvent } from '../api/realtimeProtocol.ts';
import { useSession } from '../session/SessionProvider.tsx';

type Listener = (event: RealtimeEvent) => void;

interface RealtimeApi {
  state: RealtimeState;
  /** Adds a listener for every event this tab receives; returns its removal. */
  listen: (listener: Listener) => () => void;
}

const RealtimeContext = createContext<RealtimeApi | null>(null);

export function RealtimeProvider({ children }: { children: ReactNode }) {
  const { state: session, reload } = useSession();
  const [state, setState] = useState<RealtimeState>('connecting');
  // The listeners outlive connections: a form keeps listening across an organization switch.
  const [listeners] = useState(() => new Set<Listener>());
  const userId = session.status === 'signed-in' ? session.me.user.id : null;
  const who =
    session.status === 'signed-in' && session.me.organization
      ? `${session.me.user.id}/${session.me.organization.id}`
      : null;

  useEffect(() => {
    if (!who) return;
    const connection = new RealtimeConnection({
      queryClient,
      onEvent: (event) => {
        // Another role changes what this member may do and see: the session (its permissions,
        // hence the navigation and the buttons) is read again.
        if (event.type === 'role.changed' && event.payload?.id === userId) void reload().catch(() => {});
        for (const listener of listeners) listener(event);
      },
      onState: setState,
      // A 4401 close means the session or the membership ended: /auth/me tells which.
      onRefused: () => void reload().catch(() => {}),
    });
    connection.start();
    return () => connection.stop();
  }, [who, userId, listeners, reload]);

  const [api] = useState<Omit<RealtimeApi, 'state'>>(() => ({
    listen: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  }));
  const value = useMemo(() => ({ ...api, state }), [api, state]);
  return <RealtimeContext value={value}>{children}</RealtimeContext>;
}

function useRealtime(): RealtimeApi {
  const ctx = use(RealtimeContext);
  if (!ctx) throw new Error('useRealtime outside RealtimeProvider');
  return ctx;
}

/** The connection's state, for a discreet "reconnecting" note. */
export function useRealtimeState(): RealtimeState {
  return useRealtime().state;
}

/**
 * Calls `listener` with every domain event this tab receives while the component is mounted (the
 * cache refetches what the event changed by itself). The latest `listener` is called, so it may
 * read the component's current state without re-subscribing.
 */
export function useRealtimeEvent(listener: Listener): void {
  const { listen } = useRealtime();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => listen((event) => latest.current(event)), [listen]);
}
