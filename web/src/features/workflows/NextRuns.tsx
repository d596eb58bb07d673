// A schedule's next 5 runs as the API computes them (POST /workflows/validate with the trigger
// and a stub step: only the schedule is asked about), in the schedule's time zone.
import { useEffect, useState } from 'react';
import { asProblem, type Problem } from '../../api/problem';
import type { Trigger, Validation, WorkflowDefinition } from '../../api/types';
import { Loading } from '../../ui/feedback';
import { validateWorkflow } from './api';

/** The next runs of a schedule, from the API (the trigger alone is checked: a stub step). */
export function NextRuns({ trigger, onErrors }: { trigger: Trigger; onErrors?: (errors: { field: string; message: string }[]) => void }) {
  const [state, setState] = useState<{ runs: Validation['schedule']; problem: Problem | null; loading: boolean }>({ runs: null, problem: null, loading: true });
  const key = JSON.stringify(trigger);
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    const t = window.setTimeout(() => {
      const probe: WorkflowDefinition = { name: 'schedule', trigger, steps: [{ id: 'probe', type: 'log', input: { message: 'probe' } }] };
      validateWorkflow(probe, controller.signal)
        .then((v) => setState({ runs: v.schedule, problem: null, loading: false }))
        .catch((err: unknown) => {
          if (!controller.signal.aborted) setState({ runs: null, problem: asProblem(err), loading: false });
        });
    }, 400);
    return () => {
      window.clearTimeout(t);
      controller.abort();
    };
  }, [key]);
  const tz = trigger.type === 'schedule' ? (trigger.timezone ?? 'UTC') : 'UTC';
  const fmt = (iso: string, timeZone: string) => {
    try {
      return new Date(iso).toLocaleString(undefined, { timeZone, weekday: 'short', dateStyle: undefined, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    } catch {
      return iso;
    }
  };
  const scheduleErrors = state.problem?.errors?.filter((e) => e.field.startsWith('trigger')) ?? [];
  const errorsKey = JSON.stringify(scheduleErrors);
  useEffect(() => onErrors?.(scheduleErrors), [errorsKey]);
  return (
    <div className="next-runs" aria-live="polite">
      {state.loading && !state.runs ? <Loading label="Working out the next runs…" /> : null}
      {state.runs ? (
        <div>
          <h4 className="branch-title" id="next-runs-title">
            Next 5 runs
          </h4>
          <ol className="next-runs-list" aria-labelledby="next-runs-title" data-testid="next-runs">
            {state.runs.nextRuns.map((r) => (
              <li key={r}>
                <time dateTime={r}>{fmt(r, tz)}</time> <span className="small muted">({tz})</span>
              </li>
            ))}
          </ol>
          <p className="small muted">
            As EventBridge runs it: <code>{state.runs.expression}</code>
          </p>
        </div>
      ) : null}
      {state.problem && scheduleErrors.length === 0 ? <p className="field-error small">{state.problem.detail ?? state.problem.title}</p> : null}
    </div>
  );
}

