import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { asProblem, fieldError, type Problem } from '../../api/problem';
import { useAuth } from '../../app/auth';
import { ProblemAlert } from '../../ui/Alert';
import { TextInput } from '../../ui/Field';
import { useTitle } from '../../ui/useTitle';
import { AuthLayout } from './AuthLayout';

export const PASSWORD_HINT = 'At least 10 characters, mixing letters with numbers, spaces or symbols.';

export function Component() {
  useTitle('Create your account');
  const auth = useAuth();
  const location = useLocation();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const value = (k: string) => String(form.get(k) ?? '').trim();
    setPending(true);
    setProblem(null);
    try {
      const body: { email: string; password: string; name?: string; tenantName?: string } = {
        email: value('email'),
        password: String(form.get('password') ?? ''),
      };
      if (value('name')) body.name = value('name');
      if (value('tenantName')) body.tenantName = value('tenantName');
      await auth.signUp(body);
    } catch (err) {
      setProblem(asProblem(err));
      setPending(false);
    }
  }

  return (
    <AuthLayout
      title="Create your account"
      subtitle="A workspace for your team, connected to your Airtable in a minute."
      footer={
        <p>
          Already have an account? <Link to="/signin" state={location.state}>Sign in</Link>
        </p>
      }
    >
      {problem ? <ProblemAlert problem={problem} /> : null}
      <form className="stack" onSubmit={submit}>
        <TextInput label="Your name" name="name" autoComplete="name" error={fieldError(problem, 'name')} />
        <TextInput label="Email" name="email" type="email" autoComplete="email" required error={fieldError(problem, 'email')} />
        <TextInput
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          description={PASSWORD_HINT}
          error={fieldError(problem, 'password')}
        />
        <TextInput label="Workspace name (optional)" name="tenantName" autoComplete="organization" placeholder="e.g. Acme sales" error={fieldError(problem, 'tenantName')} />
        <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
          {pending ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
    </AuthLayout>
  );
}
