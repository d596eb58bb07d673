import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { asProblem, fieldError, type Problem } from '../../api/problem';
import { useAuth } from '../../app/auth';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { TextInput } from '../../ui/Field';
import { Loading } from '../../ui/feedback';
import { useTitle } from '../../ui/useTitle';
import type { InvitationPreview } from '../../api/types';
import { useInvitationPreview } from './api';
import { AuthLayout } from './AuthLayout';
import { PASSWORD_HINT } from './SignUpPage';

/** What the holder is about to join, in the API's words (GET /tenant/invitations/preview). */
function Offer({ preview }: { preview: InvitationPreview }) {
  return (
    <div className="card card-tight invite-offer" data-testid="invitation-offer">
      <p>
        <strong>{preview.invitedBy}</strong> invited <strong>{preview.email}</strong> to join <strong>{preview.workspace}</strong> as{' '}
        <span className="badge">{preview.role}</span>.
      </p>
      <p className="small muted">The invitation expires on {new Date(preview.expiresAt).toLocaleDateString(undefined, { dateStyle: 'long' })}.</p>
    </div>
  );
}

/** `/invite?token=…`: the link an admin copies from Settings → Members. A new user registers
 *  with the token; an existing one signs in (or is signed in) and accepts it. */
export function Component() {
  useTitle('Join a workspace');
  const auth = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get('token')?.trim() ?? '';
  const [mode, setMode] = useState<'register' | 'signin'>('register');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [pending, setPending] = useState(false);
  const preview = useInvitationPreview(token);

  async function run(action: () => Promise<void>) {
    setPending(true);
    setProblem(null);
    try {
      await action();
      navigate('/', { replace: true });
    } catch (err) {
      setProblem(asProblem(err));
      setPending(false);
    }
  }

  if (!token) {
    return (
      <AuthLayout title="Join a workspace">
        <Alert tone="danger" role="alert" title="This invitation link is incomplete">
          <p>The link has no invitation token. Ask the person who invited you to copy the link again from Settings → Members.</p>
        </Alert>
        <Link to="/signin">Go to sign in</Link>
      </AuthLayout>
    );
  }

  if (preview.isError) {
    const p = asProblem(preview.error);
    return (
      <AuthLayout title="Join a workspace">
        <Alert tone="danger" role="alert" title={p.status === 404 ? 'This invitation is not valid any more' : p.title}>
          <p>
            {p.status === 404
              ? 'It may have been used already, withdrawn, or it expired. Ask the person who invited you for a new link.'
              : (p.detail ?? 'The invitation could not be checked.')}
          </p>
        </Alert>
        <Link to="/signin">Go to sign in</Link>
      </AuthLayout>
    );
  }

  if (auth.state.status === 'loading' || preview.isPending) {
    return (
      <AuthLayout title="Join a workspace">
        <Loading label="Checking your session…" />
      </AuthLayout>
    );
  }

  if (auth.state.status === 'signedIn') {
    const me = auth.state.me;
    return (
      <AuthLayout title="Join a workspace" subtitle={`You have been invited to join ${preview.data.workspace} on PyAirtable.`}>
        <Offer preview={preview.data} />
        {problem ? <ProblemAlert problem={problem} /> : null}
        {me.user.email.toLowerCase() !== preview.data.email.toLowerCase() ? (
          <Alert tone="warning" role="alert" title="This invitation is for another address">
            <p>
              It was sent to {preview.data.email}, and you are signed in as {me.user.email}. Sign out and sign in (or sign up) as {preview.data.email} to
              accept it.
            </p>
          </Alert>
        ) : null}
        <p>
          You are signed in as <strong>{me.user.email}</strong>. Accepting moves you into the new workspace; you can switch back from the workspace menu.
        </p>
        <div className="row">
          <button type="button" className="btn btn-primary" disabled={pending} onClick={() => run(() => auth.acceptInvitation(token))}>
            {pending ? 'Joining…' : 'Accept invitation'}
          </button>
          <Link className="btn" to="/">
            Not now
          </Link>
        </div>
        <p className="small muted">Invitations are for one email address: sign out first if it was sent to another of yours.</p>
      </AuthLayout>
    );
  }

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    const name = String(form.get('name') ?? '').trim();
    if (mode === 'register') {
      void run(() => auth.signUp({ email, password, invitationToken: token, ...(name ? { name } : {}) }));
    } else {
      void run(async () => {
        await auth.signIn(email, password);
        await auth.acceptInvitation(token);
      });
    }
  };

  return (
    <AuthLayout title={`Join ${preview.data.workspace}`} subtitle="Create an account, or sign in if you have one, with the address the invitation was sent to.">
      <Offer preview={preview.data} />
      <div className="segmented" role="group" aria-label="Do you have an account?">
        <button type="button" className="btn btn-sm" aria-pressed={mode === 'register'} onClick={() => setMode('register')}>
          I'm new here
        </button>
        <button type="button" className="btn btn-sm" aria-pressed={mode === 'signin'} onClick={() => setMode('signin')}>
          I have an account
        </button>
      </div>
      {problem ? <ProblemAlert problem={problem} /> : null}
      <form className="stack" onSubmit={submit} key={mode}>
        {mode === 'register' ? <TextInput label="Your name" name="name" autoComplete="name" error={fieldError(problem, 'name')} /> : null}
        <TextInput
          label="Email"
          name="email"
          type="email"
          autoComplete={mode === 'register' ? 'email' : 'username'}
          required
          defaultValue={preview.data.email}
          error={fieldError(problem, 'email')}
        />
        <TextInput
          label="Password"
          name="password"
          type="password"
          autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
          required
          description={mode === 'register' ? PASSWORD_HINT : undefined}
          error={fieldError(problem, 'password')}
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? 'Joining…' : mode === 'register' ? 'Create account and join' : 'Sign in and join'}
        </button>
      </form>
    </AuthLayout>
  );
}
