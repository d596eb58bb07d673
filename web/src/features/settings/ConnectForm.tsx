import { useState, type FormEvent } from 'react';
import { asProblem, fieldError, type Problem } from '../../api/problem';
import type { Connection } from '../../api/types';
import { ProblemAlert } from '../../ui/Alert';
import { TextInput } from '../../ui/Field';
import { useConnect, useMembers } from './api';

/** Paste a personal access token; the API checks it (lists bases) and keeps it encrypted. The
 *  field is cleared after a success: the token is never shown back. */
export function ConnectForm({ submitLabel = 'Connect Airtable', onConnected }: { submitLabel?: string; onConnected?: (c: Connection) => void }) {
  const connect = useConnect();
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const token = String(new FormData(form).get('token') ?? '').trim();
    setProblem(null);
    connect.mutate(token, {
      onSuccess: (c) => {
        form.reset();
        onConnected?.(c);
      },
      onError: (err) => setProblem(asProblem(err)),
    });
  };
  return (
    <form className="stack" onSubmit={submit}>
      {problem ? <ProblemAlert problem={problem} /> : null}
      <TextInput
        label="Airtable personal access token"
        name="token"
        type="password"
        autoComplete="off"
        spellCheck={false}
        required
        placeholder="pat…"
        description={
          <>
            Create one at{' '}
            <a href="https://airtable.com/create/tokens" target="_blank" rel="noopener noreferrer">
              airtable.com/create/tokens
            </a>{' '}
            with the scopes <code>data.records:read</code>, <code>data.records:write</code> and <code>schema.bases:read</code>, and give it the bases your team works in. It is
            stored encrypted and never shown again.
          </>
        }
        error={fieldError(problem, 'token')}
      />
      <div>
        <button type="submit" className="btn btn-primary" disabled={connect.isPending}>
          {connect.isPending ? 'Checking the token…' : submitLabel}
        </button>
      </div>
    </form>
  );
}

/** What the check found (no token: it is never sent back). */
export function ConnectionSummary({ connection }: { connection: Connection }) {
  const when = (s: string | null | undefined) => (s ? new Date(s).toLocaleString() : '—');
  return (
    <dl className="summary-list">
      <div>
        <dt>Bases found</dt>
        <dd>{connection.basesCount ?? '—'}</dd>
      </div>
      <div>
        <dt>Scopes</dt>
        <dd>{connection.scopes?.length ? connection.scopes.map((s) => <code key={s} className="scope">{s}</code>) : <span className="muted">not reported by Airtable</span>}</dd>
      </div>
      <div>
        <dt>Connected</dt>
        <dd>{when(connection.connectedAt)}</dd>
      </div>
      <div>
        <dt>Last checked</dt>
        <dd>{when(connection.lastCheckedAt)}</dd>
      </div>
    </dl>
  );
}

/** For members and viewers: who can connect Airtable. */
export function WhoCanConnect() {
  const members = useMembers();
  const admins = members.data?.members.filter((m) => m.role === 'owner' || m.role === 'admin') ?? [];
  return (
    <div className="stack">
      <p>Only owners and admins of this workspace can connect Airtable.</p>
      {members.isPending ? <p className="muted">Looking up who can…</p> : null}
      {members.isError ? <ProblemAlert problem={asProblem(members.error)} /> : null}
      {admins.length > 0 ? (
        <>
          <p>Ask one of them:</p>
          <ul className="people">
            {admins.map((m) => (
              <li key={m.userId}>
                <strong>{m.name ?? m.email}</strong> <a href={`mailto:${m.email}`}>{m.email}</a> <span className="badge">{m.role}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
