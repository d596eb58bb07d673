// Who is signed in. Starts by trying the stored refresh token (a reload stays signed in), and
// follows the session: a refresh the API refuses signs the user out with the reason.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, session, unwrap } from '../api/client';
import { ApiError, asProblem } from '../api/problem';
import { REFRESH_TOKEN_KEY } from '../api/session';
import type { Me, SessionResponse } from '../api/types';
import type { components } from '../api/schema';

export type AuthState =
  | { status: 'loading' }
  | { status: 'signedOut'; reason: string | null }
  | { status: 'signedIn'; me: Me };

type RegisterBody = components['schemas']['RegisterRequest'];

interface AuthApi {
  state: AuthState;
  signIn(email: string, password: string): Promise<void>;
  signUp(body: RegisterBody): Promise<void>;
  acceptInvitation(token: string): Promise<void>;
  switchTenant(tenantId: string): Promise<void>;
  signOut(): Promise<void>;
  reloadMe(): Promise<void>;
}

const AuthContext = createContext<AuthApi | null>(null);

/** The tenant claim (`tid`) of an access token (read only to notice a change, never trusted). */
function tenantOf(token: string | null): string | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { tid?: unknown };
    return typeof json.tid === 'string' ? json.tid : null;
  } catch {
    return null;
  }
}

async function loadMe(): Promise<Me> {
  const me = await unwrap(api.GET('/api/v1/auth/me'));
  // The app signs users in; API keys and workflows (no `user`) never reach it.
  if (!me.user) throw new ApiError({ title: 'Not a user', status: 403, detail: 'This session does not belong to a user.' });
  return { ...me, user: me.user, tenants: me.tenants ?? [] };
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<AuthState>(() => (session.hasRefreshToken() ? { status: 'loading' } : { status: 'signedOut', reason: null }));
  const stateRef = useRef(state);
  useEffect(() => {
    stateRef.current = state;
  }, [state]);
  /** A sign-in, invitation or switch of this tab is under way (its own tokens, its own me). */
  const starting = useRef(false);

  useEffect(() => {
    const off = session.subscribe((e) => {
      if (e.type === 'signedOut') {
        queryClient.clear();
        setState({ status: 'signedOut', reason: e.reason });
      } else if (e.type === 'tokens') {
        // Tabs share the refresh token: when another tab switched workspace, this tab's next
        // refresh lands in that workspace too. Follow it rather than show the old one's data.
        const tid = tenantOf(session.accessToken);
        const current = stateRef.current;
        if (!starting.current && current.status === 'signedIn' && tid && tid !== current.me.tenant.id) {
          queryClient.clear();
          void loadMe().then((me) => setState({ status: 'signedIn', me }));
        }
      }
    });
    // Signed out in another tab: follow.
    const onStorage = (e: StorageEvent) => {
      if (e.key === REFRESH_TOKEN_KEY && e.newValue === null) session.signOut('You signed out in another tab.');
    };
    window.addEventListener('storage', onStorage);
    return () => {
      off();
      window.removeEventListener('storage', onStorage);
    };
  }, [queryClient]);

  useEffect(() => {
    if (state.status !== 'loading') return;
    let cancelled = false;
    (async () => {
      try {
        await session.refresh();
        const me = await loadMe();
        if (!cancelled) setState({ status: 'signedIn', me });
      } catch (err) {
        if (cancelled) return;
        // A refused refresh already signed out (with its reason); anything else is shown here.
        if (err instanceof ApiError && (err.status === 401 || err.status === 422)) {
          setState((s) => (s.status === 'loading' ? { status: 'signedOut', reason: null } : s));
        } else {
          const p = asProblem(err);
          setState({ status: 'signedOut', reason: `${p.title}: ${p.detail ?? ''} You may need to sign in again.` });
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [state.status]);

  const start = useCallback(
    async (res: SessionResponse) => {
      queryClient.clear();
      starting.current = true;
      try {
        session.setTokens(res.tokens);
        const me = await loadMe();
        setState({ status: 'signedIn', me });
      } finally {
        starting.current = false;
      }
    },
    [queryClient],
  );

  const value = useMemo<AuthApi>(
    () => ({
      state,
      async signIn(email, password) {
        await start(await unwrap(api.POST('/api/v1/auth/login', { body: { email, password } })));
      },
      async signUp(body) {
        await start(await unwrap(api.POST('/api/v1/auth/register', { body })));
      },
      async acceptInvitation(token) {
        await start(await unwrap(api.POST('/api/v1/tenant/invitations/accept', { body: { token } })));
      },
      async switchTenant(tenantId) {
        await start(await unwrap(api.POST('/api/v1/auth/switch', { body: { tenantId } })));
      },
      async signOut() {
        try {
          await unwrap(api.POST('/api/v1/auth/logout'));
        } catch {
          /* the tokens are forgotten anyway */
        }
        session.signOut(null);
      },
      async reloadMe() {
        const me = await loadMe();
        setState({ status: 'signedIn', me });
      },
    }),
    [state, start],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthApi {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}

/** The signed-in user (only under RequireAuth). */
export function useMe(): Me {
  const { state } = useAuth();
  if (state.status !== 'signedIn') throw new Error('useMe while not signed in');
  return state.me;
}
