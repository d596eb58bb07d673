import { useState, type FormEvent } from 'react';
import { asProblem, fieldError, type Problem } from '../../api/problem';
import { atLeast } from '../../api/types';
import { useMe } from '../../app/auth';
import { ProblemAlert } from '../../ui/Alert';
import { TextInput } from '../../ui/Field';
import { QueryState } from '../../ui/feedback';
import { SpendMeter } from '../../ui/Meter';
import { useToast } from '../../ui/Toast';
import { useTitle } from '../../ui/useTitle';
import { useBudgets, useSaveBudgets } from './api';

function parseLimit(raw: string): number | null | 'invalid' {
  const t = raw.trim();
  if (!t) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : 'invalid'; // the API says what range it takes
}

export function Component() {
  useTitle('Budgets');
  const me = useMe();
  const toast = useToast();
  const budgets = useBudgets();
  const save = useSaveBudgets();
  const [problem, setProblem] = useState<Problem | null>(null);
  const isAdmin = atLeast(me.role, 'admin');

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const tenant = parseLimit(String(data.get('tenant') ?? ''));
    const user = parseLimit(String(data.get('user') ?? ''));
    const threshold = Number(String(data.get('threshold') ?? '80'));
    if (tenant === 'invalid' || user === 'invalid' || !Number.isFinite(threshold)) {
      setProblem({ title: 'Check the limits', status: 422, detail: 'Limits are amounts in USD (or empty for no limit); the threshold is a percentage.' });
      return;
    }
    setProblem(null);
    save.mutate(
      { tenantMonthlyUsd: tenant, userMonthlyUsd: user, alertThreshold: threshold / 100 },
      { onSuccess: () => toast('Budgets saved'), onError: (err) => setProblem(asProblem(err)) },
    );
  };

  return (
    <section className="stack-lg" aria-labelledby="budgets-title">
      <div>
        <h2 id="budgets-title">LLM budgets</h2>
        <p className="muted">Monthly limits on what the chat and workflows spend on the language model. Every model call is checked against them first.</p>
      </div>
      <QueryState query={budgets} />
      {budgets.data ? (
        <>
          <div className="card stack">
            <h3>Spend in {budgets.data.month}</h3>
            <SpendMeter label="Workspace" spent={budgets.data.tenant.spentUsd} limit={budgets.data.tenant.limitUsd} threshold={budgets.data.alertThreshold} />
            <SpendMeter label="You" spent={budgets.data.user.spentUsd} limit={budgets.data.user.limitUsd} threshold={budgets.data.alertThreshold} />
          </div>
          {isAdmin ? (
            <form className="card stack" onSubmit={submit} key={budgets.data.updatedAt}>
              <h3>Limits</h3>
              {problem ? <ProblemAlert problem={problem} /> : null}
              <div className="form-grid">
                <TextInput
                  label="Workspace per month (USD)"
                  name="tenant"
                  inputMode="decimal"
                  placeholder="No limit"
                  defaultValue={budgets.data.tenantMonthlyUsd ?? ''}
                  error={fieldError(problem, 'tenantMonthlyUsd')}
                />
                <TextInput
                  label="Each user per month (USD)"
                  name="user"
                  inputMode="decimal"
                  placeholder="No limit"
                  defaultValue={budgets.data.userMonthlyUsd ?? ''}
                  error={fieldError(problem, 'userMonthlyUsd')}
                />
                <TextInput
                  label="Alert at (% of a limit)"
                  name="threshold"
                  type="number"
                  min={1}
                  max={100}
                  defaultValue={Math.round(budgets.data.alertThreshold * 100)}
                  error={fieldError(problem, 'alertThreshold')}
                />
              </div>
              <p className="small muted">Leave a limit empty for none. Alerts are recorded when spend crosses the threshold.</p>
              <div>
                <button type="submit" className="btn btn-primary" disabled={save.isPending}>
                  {save.isPending ? 'Saving…' : 'Save budgets'}
                </button>
              </div>
            </form>
          ) : (
            <p className="muted">Owners and admins set the limits.</p>
          )}
          <div className="stack">
            <h3>Alerts this month</h3>
            {budgets.data.alerts.length === 0 ? (
              <p className="small muted">None.</p>
            ) : (
              <ul className="small">
                {budgets.data.alerts.map((a, i) => (
                  <li key={i}>
                    {a.scope === 'tenant' ? 'Workspace' : `User ${a.userId ?? ''}`} reached ${(a.spentUsd ?? 0).toFixed(2)} of ${(a.limitUsd ?? 0).toFixed(2)}{a.at ? ` on ${new Date(a.at).toLocaleString()}` : ''}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </>
      ) : null}
    </section>
  );
}
