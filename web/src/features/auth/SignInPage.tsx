import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { asProblem, fieldError, type Problem } from '../../api/problem';
import { useAuth } from '../../app/auth';
import type { FromState } from '../../app/RequireAuth';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { TextInput } from '../../ui/Field';
import { useTitle } from '../../ui/useTitle';
import { AuthLayout } from './AuthLayout';

export function Component() {
  useTitle('Sign in');
  const auth = useAuth();
  const location = useLocation();
  const reason = auth.state.status === 'signedOut' ? auth.state.reason : null;
  const [problem, setProblem] = useState<Problem | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setPending(true);
    setProblem(null);
    try {
      await auth.signIn(String(form.get('email') ?? ''), String(form.get('password') ?? ''));
    } catch (err) {
      setProblem(asProblem(err));
      setPending(false);
    }
  }

  const from = (location.state as FromState | null)?.from;
  return (
    <AuthLayout
      title="Sign in"
      subtitle="Your AI assistant for Airtable."
      footer={
        <p>
          New here? <Link to="/signup" state={location.state}>Create an account</Link>
        </p>
      }
    >
      {reason && !problem ? (
        <Alert tone="warning" role="alert" title="You are signed out">
          <p>{reason}</p>
        </Alert>
      ) : null}
      {problem ? <ProblemAlert problem={problem} /> : null}
      <form className="stack" onSubmit={submit} noValidate={false}>
        <TextInput label="Email" name="email" type="email" autoComplete="username" required error={fieldError(problem, 'email')} />
        <TextInput label="Password" name="password" type="password" autoComplete="current-password" required error={fieldError(problem, 'password')} />
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {from && from !== '/' ? <p className="small muted">After signing in you will go back to {from}.</p> : null}
    </AuthLayout>
  );
}
