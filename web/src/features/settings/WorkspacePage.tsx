import { useState, type FormEvent } from 'react';
import { asProblem, fieldError, type Problem } from '../../api/problem';
import { atLeast } from '../../api/types';
import { useAuth, useMe } from '../../app/auth';
import { ProblemAlert } from '../../ui/Alert';
import { TextInput } from '../../ui/Field';
import { QueryState } from '../../ui/feedback';
import { useToast } from '../../ui/Toast';
import { useTitle } from '../../ui/useTitle';
import { useRenameTenant, useTenant } from './api';

export function Component() {
  useTitle('Workspace settings');
  const me = useMe();
  const auth = useAuth();
  const toast = useToast();
  const tenant = useTenant();
  const rename = useRenameTenant();
  const [problem, setProblem] = useState<Problem | null>(null);
  const isAdmin = atLeast(me.role, 'admin');

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget).get('name') ?? '').trim();
    setProblem(null);
    rename.mutate(name, {
      onSuccess: () => {
        toast('Workspace renamed');
        void auth.reloadMe();
      },
      onError: (err) => setProblem(asProblem(err)),
    });
  };

  return (
    <section className="stack-lg" aria-labelledby="ws-title">
      <h2 id="ws-title">Workspace</h2>
      <QueryState query={tenant} />
      {tenant.data ? (
        <>
          <div className="card stack">
            {isAdmin ? (
              <form className="stack" onSubmit={submit}>
                {problem ? <ProblemAlert problem={problem} /> : null}
                <TextInput label="Workspace name" name="name" defaultValue={tenant.data.tenant.name} required maxLength={100} error={fieldError(problem, 'name')} key={tenant.data.tenant.name} />
                <div>
                  <button type="submit" className="btn btn-primary" disabled={rename.isPending}>
                    {rename.isPending ? 'Saving…' : 'Save name'}
                  </button>
                </div>
              </form>
            ) : (
              <p>
                <strong>{tenant.data.tenant.name}</strong>
                <br />
                <span className="small muted">Owners and admins can rename the workspace.</span>
              </p>
            )}
          </div>
          <dl className="summary-list card">
            <div>
              <dt>Your role</dt>
              <dd>
                <span className="badge">{tenant.data.role}</span>
              </dd>
            </div>
            <div>
              <dt>Members</dt>
              <dd>{tenant.data.memberCount}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{new Date(tenant.data.tenant.createdAt).toLocaleDateString()}</dd>
            </div>
            <div>
              <dt>Workspace id</dt>
              <dd className="mono small">{tenant.data.tenant.id}</dd>
            </div>
          </dl>
        </>
      ) : null}
    </section>
  );
}
