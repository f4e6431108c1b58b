// Who is signed in: the answer of GET /auth/me, loaded at start and after sign-in, switch and
// sign-out. Pages read it through useSession(); a 401 anywhere returns the app to the login page.
import { createContext, type ReactNode, use, useCallback, useEffect, useMemo, useState } from 'react';
import { ApiProblem, api, call, mayHaveSession, SESSION_LOST_EVENT } from '../api/client.ts';
import { queryClient } from '../api/queries.ts';
import type { Me } from '../api/types.ts';

export type SessionState =
  | { status: 'loading' }
  /** `signedOut`: the user signed out here (rather than never signed in, or the session ended). */
  | { status: 'anonymous'; signedOut?: boolean }
  | { status: 'signed-in'; me: Me };

interface SessionApi {
  state: SessionState;
  /** Reloads /auth/me (after sign-in, MFA changes, switching organization). */
  reload: () => Promise<void>;
  signOut: () => Promise<void>;
  can: (permission: string) => boolean;
}

const SessionContext = createContext<SessionApi | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const reload = useCallback(async () => {
    // Without the cookie pair there is no session to ask about (and no 401 to provoke).
    if (!mayHaveSession()) {
      setState({ status: 'anonymous' });
      return;
    }
    try {
      const me = await call(api.GET('/api/v1/auth/me'));
      setState({ status: 'signed-in', me });
    } catch (err) {
      if (err instanceof ApiProblem && (err.status === 401 || err.status === 403)) {
        setState({ status: 'anonymous' });
      } else throw err;
    }
  }, []);

  const signOut = useCallback(async () => {
    await api.POST('/api/v1/auth/logout');
    setState({ status: 'anonymous', signedOut: true });
  }, []);

  useEffect(() => {
    reload().catch(() => setState({ status: 'anonymous' }));
    const lost = () => setState({ status: 'anonymous' });
    window.addEventListener(SESSION_LOST_EVENT, lost);
    return () => window.removeEventListener(SESSION_LOST_EVENT, lost);
  }, [reload]);

  // What the cache holds belongs to one user in one organization: another one starts empty.
  const who = state.status === 'signed-in' ? `${state.me.user.id}/${state.me.organization?.id ?? ''}` : '';
  // biome-ignore lint/correctness/useExhaustiveDependencies: clears when `who` changes
  useEffect(() => queryClient.clear(), [who]);

  const value = useMemo<SessionApi>(
    () => ({
      state,
      reload,
      signOut,
      can: (permission) => state.status === 'signed-in' && state.me.permissions.includes(permission),
    }),
    [state, reload, signOut],
  );
  return <SessionContext value={value}>{children}</SessionContext>;
}

export function useSession(): SessionApi {
  const ctx = use(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}

/** The signed-in member's /auth/me; only for pages behind RequireSession. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe without a session');
  return state.me;
}
