// `/settings/secrets`: workspace secrets for workflows' http_request steps ({{secrets.NAME}}).
// Admins set and delete them; a value is write-only — sent once, never shown back.
import { useState, type FormEvent } from 'react';
import { asProblem, fieldError, type Problem } from '../../api/problem';
import { atLeast, type SecretView } from '../../api/types';
import { useMe } from '../../app/auth';
import { ProblemAlert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { ConfirmMutation } from '../../ui/Dialog';
import { TextInput } from '../../ui/Field';
import { QueryState } from '../../ui/feedback';
import { dateTime } from '../../ui/format';
import { ListTable } from '../../ui/ListTable';
import { useToast } from '../../ui/Toast';
import { useTitle } from '../../ui/useTitle';
import { useDeleteSecret, usePutSecret, useSecrets } from '../workflows/api';

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export function Component() {
  useTitle('Secrets');
  const me = useMe();
  const toast = useToast();
  const secrets = useSecrets();
  const put = usePutSecret();
  const del = useDeleteSecret();
  const isAdmin = atLeast(me.role, 'admin');
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [doomed, setDoomed] = useState<SecretView | null>(null);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const value = String(new FormData(form).get('value') ?? '');
    const n = name.trim();
    if (!NAME.test(n)) {
      setProblem({ title: 'Check the name', status: 422, errors: [{ field: 'name', message: 'a letter, then letters, digits and _ (64 at most)' }] });
      return;
    }
    setProblem(null);
    const replacing = secrets.data?.some((s) => s.name === n);
    put.mutate(
      { name: n, value },
      {
        onSuccess: () => {
          form.reset();
          setName('');
          toast(replacing ? `${n} replaced` : `${n} saved`);
        },
        onError: (err) => setProblem(asProblem(err)),
      },
    );
  };

  return (
    <section className="stack-lg" aria-labelledby="secrets-title">
      <div>
        <h2 id="secrets-title">Secrets</h2>
        <p className="muted">
          Values workflows send without anyone seeing them: use <code>{'{{secrets.NAME}}'}</code> in an HTTP request step's URL, headers or body. Run history shows them as ***. A value is never shown
          again after it is saved.
        </p>
      </div>
      {isAdmin ? (
        <form className="card stack" onSubmit={submit} aria-labelledby="secret-form-title">
          <h3 id="secret-form-title">Add or replace a secret</h3>
          <div className="form-grid">
            <TextInput label="Name" name="name" value={name} onChange={(e) => {
              setName(e.target.value);
              setProblem(null);
            }} autoComplete="off" spellCheck={false} placeholder="CRM_TOKEN" required error={fieldError(problem, 'name')} description="Saving an existing name replaces its value." />
            <TextInput label="Value" name="value" type="password" autoComplete="new-password" required error={fieldError(problem, 'value')} description="Write-only: it is sealed and never shown back." />
          </div>
          {problem && !problem.errors?.length ? <ProblemAlert problem={problem} /> : null}
          <div className="row">
            <button type="submit" className="btn btn-primary" disabled={put.isPending}>
              {put.isPending ? 'Saving…' : 'Save secret'}
            </button>
          </div>
        </form>
      ) : (
        <p className="small muted">Owners and admins add and replace secrets; you can see their names.</p>
      )}
      <QueryState query={secrets} label="Loading secrets…" />
      {secrets.data && secrets.data.length === 0 ? <p className="muted small">No secrets yet.</p> : null}
      {secrets.data && secrets.data.length > 0 ? (
        <ListTable caption="Secrets of this workspace (names only)" columns={['Name', 'Value', 'Updated']} actions>
          {secrets.data.map((s) => (
            <tr key={s.name}>
              <td>
                <code>{s.name}</code>
              </td>
              <td className="muted">
                <span aria-hidden="true">••••••••</span>
                <span className="visually-hidden">hidden</span>
              </td>
              <td className="nowrap">{dateTime(s.updatedAt)}</td>
              <td className="nowrap">
                {isAdmin ? (
                  <>
                    <Button
                      size="sm"
                      variant="ghost"
                      onPress={() => {
                        setName(s.name);
                        setProblem(null);
                        document.querySelector<HTMLInputElement>('input[name="value"]')?.focus();
                      }}
                      aria-label={`Replace the value of ${s.name}`}
                    >
                      Replace
                    </Button>
                    <Button size="sm" variant="ghost" onPress={() => setDoomed(s)} aria-label={`Delete ${s.name}`}>
                      Delete
                    </Button>
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
      <ConfirmMutation
        item={doomed}
        onClose={() => setDoomed(null)}
        title={(s) => `Delete ${s.name}?`}
        confirmLabel="Delete secret"
        mutation={del}
        variables={(s) => s.name}
        done={(s) => `${s.name} deleted`}
        onProblem={setProblem}
      >
        <p>Workflow steps that use it fail until it is set again.</p>
      </ConfirmMutation>
    </section>
  );
}
