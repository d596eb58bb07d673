import { Navigate, Outlet, useLocation } from 'react-router';
import { Loading } from '../ui/feedback';
import { useAuth } from './auth';

export interface FromState {
  from?: string;
}

/** While a stored session is being resumed (a reload refreshes the tokens first). */
function SigningIn() {
  return (
    <main className="center-page">
      <Loading label="Signing you in…" />
    </main>
  );
}

/** Pages for signed-in users: others go to sign-in, and come back here after. */
export function RequireAuth() {
  const { state } = useAuth();
  const location = useLocation();
  if (state.status === 'loading') return <SigningIn />;
  if (state.status === 'signedOut') {
    const from = `${location.pathname}${location.search}`;
    return <Navigate to="/signin" replace state={{ from } satisfies FromState} />;
  }
  return <Outlet />;
}

/** Sign-in and sign-up: a signed-in user goes where they were headed. */
export function RedirectIfSignedIn() {
  const { state } = useAuth();
  const location = useLocation();
  if (state.status === 'loading') return <SigningIn />;
  if (state.status === 'signedIn') {
    const from = (location.state as FromState | null)?.from;
    return <Navigate to={from && from.startsWith('/') ? from : '/'} replace />;
  }
  return <Outlet />;
}
