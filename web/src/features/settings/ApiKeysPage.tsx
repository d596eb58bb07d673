import { useState, type FormEvent } from 'react';
import { asProblem, fieldError, type Problem } from '../../api/problem';
import { atLeast, ROLES, type ApiKey, type CreatedApiKey, type Role } from '../../api/types';
import { useMe } from '../../app/auth';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { CopyValue } from '../../ui/CopyButton';
import { ConfirmMutation } from '../../ui/Dialog';
import { TextInput } from '../../ui/Field';
import { EmptyState, QueryState } from '../../ui/feedback';
import { ListTable } from '../../ui/ListTable';
import { useTitle } from '../../ui/useTitle';
import { useApiKeys, useCreateApiKey, useRevokeApiKey, type CreateKeyBody } from './api';

const EXPIRIES = [
  ['', 'Never'],
  ['7', '7 days'],
  ['30', '30 days'],
  ['90', '90 days'],
  ['365', '1 year'],
] as const;

/** The secret of a key just created: shown once, with a copy button and a warning. */
export function NewKeyCallout({ created, onDismiss }: { created: CreatedApiKey; onDismiss: () => void }) {
  return (
    <Alert tone="warning" role="alert" title={`Copy your new key “${created.name}” now`} action={<Button size="sm" onPress={onDismiss}>Done</Button>}>
      <p>This is the only time it is shown: only a hash is stored. If you lose it, revoke it and create another.</p>
      <CopyValue value={created.key} label="Copy key" testId="new-api-key" />
    </Alert>
  );
}

/** Name, role (up to the creator's own) and expiry of a new key. */
export function CreateKeyForm({ onCreated, defaultName = '', submitLabel = 'Create key' }: { onCreated: (k: CreatedApiKey) => void; defaultName?: string; submitLabel?: string }) {
  const me = useMe();
  const create = useCreateApiKey();
  const [problem, setProblem] = useState<Problem | null>(null);
  const roles = ROLES.filter((r) => atLeast(me.role, r));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const body: CreateKeyBody = { name: String(data.get('name') ?? '').trim(), role: String(data.get('role') ?? me.role) as Role };
    const days = String(data.get('expiry') ?? '');
    if (days) body.expiresInDays = Number(days);
    setProblem(null);
    create.mutate(body, {
      onSuccess: (k) => {
        form.reset();
        onCreated(k);
      },
      onError: (err) => setProblem(asProblem(err)),
    });
  };
  return (
    <form className="stack" onSubmit={submit}>
      {problem ? <ProblemAlert problem={problem} /> : null}
      <div className="form-grid">
        <TextInput label="Name" name="name" required maxLength={100} defaultValue={defaultName} placeholder="e.g. Reporting script" error={fieldError(problem, 'name')} />
        <div className="field">
          <label htmlFor="key-role">Role</label>
          <select id="key-role" name="role" defaultValue={me.role === 'owner' ? 'member' : me.role}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="key-expiry">Expires</label>
          <select id="key-expiry" name="expiry" defaultValue="90">
            {EXPIRIES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : submitLabel}
        </button>
      </div>
    </form>
  );
}

export function Component() {
  useTitle('API keys');
  const me = useMe();
  const keys = useApiKeys();
  const revoke = useRevokeApiKey();
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const canCreate = atLeast(me.role, 'member');

  return (
    <section className="stack-lg" aria-labelledby="keys-title">
      <div>
        <h2 id="keys-title">API keys</h2>
        <p className="muted">For scripts, pyairtable or airtable.js against <code>/v0</code>, and MCP clients. A key acts with its role, never more than its creator's.</p>
      </div>
      {created ? <NewKeyCallout created={created} onDismiss={() => setCreated(null)} /> : null}
      {canCreate ? (
        <div className="card stack">
          <h3>Create a key</h3>
          <CreateKeyForm onCreated={setCreated} />
        </div>
      ) : (
        <p className="muted">Viewers cannot create API keys.</p>
      )}
      {problem ? <ProblemAlert problem={problem} /> : null}
      <QueryState query={keys} label="Loading keys…" />
      {keys.data && keys.data.length === 0 ? <EmptyState title="No API keys" icon="key">Keys you create appear here (never their secret).</EmptyState> : null}
      {keys.data && keys.data.length > 0 ? (
        <ListTable caption="API keys" columns={['Name', 'Key', 'Role', 'Created', 'Expires']} actions>
          {keys.data.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td className="mono">{k.prefix}…</td>
              <td>
                <span className="badge">{k.role}</span>
              </td>
              <td className="nowrap">{new Date(k.createdAt).toLocaleDateString()}</td>
              <td className="nowrap">{k.expiresAt ? new Date(k.expiresAt).toLocaleDateString() : 'never'}</td>
              <td>
                {canCreate ? (
                  <Button size="sm" variant="ghost" onPress={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
                    Revoke
                  </Button>
                ) : null}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
      <ConfirmMutation
        item={revoking}
        onClose={() => setRevoking(null)}
        title={(k) => `Revoke “${k.name}”?`}
        confirmLabel="Revoke key"
        mutation={revoke}
        variables={(k) => k.id}
        done={(k) => `Key “${k.name}” revoked`}
        onDone={(_r, k) => {
          if (created?.id === k.id) setCreated(null);
        }}
        onProblem={setProblem}
      >
        <p>Anything using this key stops working at once.</p>
      </ConfirmMutation>
    </section>
  );
}
