import type { ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { asProblem } from '../../api/problem';
import { atLeast } from '../../api/types';
import { useMe } from '../../app/auth';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { Loading, QueryState } from '../../ui/feedback';
import { useTitle } from '../../ui/useTitle';
import { useBases, useConnection, useSchema } from '../records/api';
import { ConnectForm, ConnectionSummary, WhoCanConnect } from '../settings/ConnectForm';

function Step({ n, title, done, current, children }: { n: number; title: string; done: boolean; current: boolean; children: ReactNode }) {
  return (
    <li className="step card" data-done={done || undefined} data-current={current || undefined} aria-current={current ? 'step' : undefined}>
      <div className="step-head">
        <span className="step-number" aria-hidden="true">
          {done ? '✓' : n}
        </span>
        <h2>
          <span className="visually-hidden">Step {n}{done ? ', done' : ''}: </span>
          {title}
        </h2>
      </div>
      <div className="step-body">{children}</div>
    </li>
  );
}

/** The first-run screen: connect Airtable, pick a base, then ask or open a table. */
export function Component() {
  useTitle('Get started');
  const me = useMe();
  const isAdmin = atLeast(me.role, 'admin');
  const connection = useConnection();
  const connected = connection.data?.status === 'connected';
  const bases = useBases(connected);
  const [params, setParams] = useSearchParams();
  const picked = params.get('base') ?? (bases.data?.length === 1 ? bases.data[0]?.id : undefined);
  const schema = useSchema(picked);
  const pickedName = bases.data?.find((b) => b.id === picked)?.name;

  return (
    <div className="page page-narrow">
      <div className="page-header">
        <div>
          <h1>Welcome{me.user.name ? `, ${me.user.name}` : ''}</h1>
          <p className="muted">Three steps and your team can browse, edit and ask questions about its Airtable.</p>
        </div>
      </div>
      <QueryState query={connection} label="Checking the Airtable connection…" />
      {connection.data ? (
        <ol className="steps">
          <Step n={1} title="Connect Airtable" done={connected} current={!connected}>
            {connected && connection.data.status === 'connected' ? (
              <div className="stack">
                <Alert tone="success" title="Airtable is connected">
                  <p>The token was checked. Here is what it can reach:</p>
                </Alert>
                <ConnectionSummary connection={connection.data} />
                {isAdmin ? (
                  <p className="small">
                    Use another token from <Link to="/settings/airtable">Settings → Airtable</Link>.
                  </p>
                ) : null}
              </div>
            ) : isAdmin ? (
              <ConnectForm />
            ) : (
              <WhoCanConnect />
            )}
          </Step>
          <Step n={2} title="Pick a base" done={Boolean(picked)} current={connected && !picked}>
            {!connected ? <p className="muted">Available once Airtable is connected.</p> : null}
            {bases.isPending && connected ? <Loading label="Loading bases…" /> : null}
            {bases.isError ? <ProblemAlert problem={asProblem(bases.error)} /> : null}
            {bases.data ? (
              bases.data.length === 0 ? (
                <p>The token sees no bases: give it access to a base in Airtable, then reconnect.</p>
              ) : (
                <fieldset className="plain-fieldset base-choices">
                  <legend className="visually-hidden">Bases</legend>
                  {bases.data.map((b) => (
                    <label key={b.id} className="choice">
                      <input
                        type="radio"
                        name="base"
                        value={b.id}
                        checked={picked === b.id}
                        onChange={() =>
                          setParams(
                            (p) => {
                              const n = new URLSearchParams(p);
                              n.set('base', b.id);
                              return n;
                            },
                            { replace: true },
                          )
                        }
                      />
                      <span>
                        <strong>{b.name}</strong> <span className="muted small mono">{b.id}</span>
                      </span>
                    </label>
                  ))}
                </fieldset>
              )
            ) : null}
          </Step>
          <Step n={3} title="Ask your first question, or open a table" done={false} current={Boolean(picked)}>
            {!picked ? (
              <p className="muted">Pick a base first.</p>
            ) : (
              <div className="stack">
                <div className="row">
                  <Link className="btn btn-primary" to={`/chat?base=${encodeURIComponent(picked)}&ask=${encodeURIComponent(`What tables are in ${pickedName ?? 'this base'}, and how many records does each have?`)}`}>
                    Ask a question about {pickedName ?? 'this base'}
                  </Link>
                </div>
                <QueryState query={schema} label="Loading tables…" />
                {schema.data ? (
                  <div>
                    <p className="small muted">Or open a table:</p>
                    <ul className="link-list">
                      {schema.data.map((t) => (
                        <li key={t.id}>
                          <Link to={`/bases/${picked}/tables/${t.id}`}>{t.name}</Link> <span className="muted small">· {t.fields.length} fields</span>
                        </li>
                      ))}
                    </ul>
                  </div>
                ) : null}
              </div>
            )}
          </Step>
        </ol>
      ) : null}
    </div>
  );
}
