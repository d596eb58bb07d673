// `/workflows/:workflowId/runs/:executionId`: one run — each step in the order it ran with its
// status, attempts, duration, input and output (collapsible JSON) and error, the run's logs; a
// run that is still going updates by itself and can be cancelled.
import { useState } from 'react';
import { useParams } from 'react-router';
import { atLeast, type RunStep } from '../../api/types';
import { useMe } from '../../app/auth';
import { Alert } from '../../ui/Alert';
import { Breadcrumbs } from '../../ui/Breadcrumbs';
import { Button } from '../../ui/Button';
import { ConfirmMutation } from '../../ui/Dialog';
import { QueryState } from '../../ui/feedback';
import { dateTime, duration, pretty, time } from '../../ui/format';
import { JsonBlock } from '../../ui/JsonBlock';
import { StatusBadge } from '../../ui/StatusBadge';
import { useToast } from '../../ui/Toast';
import { useTitle } from '../../ui/useTitle';
import { isRunFinal, useCancelRun, useRun, useWorkflow } from './api';

function errorText(e: unknown): string {
  if (e === null || e === undefined) return '';
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null && 'message' in e && typeof (e as { message: unknown }).message === 'string') {
    const o = e as { message: string; code?: string };
    return o.code ? `${o.code}: ${o.message}` : o.message;
  }
  return pretty(e);
}

function depth(path: string): number {
  return (path.match(/\./g) ?? []).length;
}

/** A step of a run that has ended: one still `running` or `waiting` (a delay) in its record was
 *  stopped by the run's end (a cancel) and will not go on. */
function shownStatus(step: RunStep, runEnded: boolean): string {
  return runEnded && (step.status === 'running' || step.status === 'waiting') ? 'stopped' : step.status;
}

function StepRow({ step, runEnded }: { step: RunStep; runEnded: boolean }) {
  const status = shownStatus(step, runEnded);
  return (
    <li className="run-step timeline-item" data-status={status} style={{ marginLeft: `${Math.min(depth(step.path), 4) * 1.25}rem` }} aria-label={`Step ${step.stepId}, ${status}`}>
      <div className="timeline-head">
        <span className="timeline-name">
          {step.stepId} <code className="small muted">{step.type}</code>
        </span>
        <StatusBadge status={status} />
        <span className="small muted">
          {time(step.startedAt)}
          {typeof step.durationMs === 'number' ? ` · ${duration(step.durationMs)}` : ''}
          {(step.attempts ?? 0) > 1 ? ` · ${step.attempts} attempts` : step.attempts === 1 ? ' · 1 attempt' : ''}
          {step.resumeAt && status === 'waiting' ? ` · resumes ${new Date(step.resumeAt * 1000).toLocaleTimeString()}` : ''}
        </span>
      </div>
      {step.error ? <p className="field-error small">{errorText(step.error)}</p> : null}
      <div className="run-io">
        <JsonBlock label={`Input of ${step.stepId}`} value={step.input} />
        {step.output !== null && step.output !== undefined ? <JsonBlock label={`Output of ${step.stepId}`} value={step.output} /> : null}
      </div>
    </li>
  );
}

export function Component() {
  const { workflowId = '', executionId = '' } = useParams();
  const me = useMe();
  const toast = useToast();
  const run = useRun(executionId);
  const workflow = useWorkflow(workflowId);
  const cancel = useCancelRun(executionId);
  const [confirm, setConfirm] = useState(false);
  const r = run.data;
  const name = workflow.data?.name ?? 'Workflow';
  useTitle(r ? `Run of ${name} · ${r.status}` : 'Run');
  const live = r ? !isRunFinal(r.status) : false;

  return (
    <div className="page">
      <Breadcrumbs trail={[{ to: '/workflows', label: 'Workflows' }, { to: `/workflows/${workflowId}`, label: name }]} current="Run" />
      <QueryState query={run} label="Loading the run…" />
      {r ? (
        <div className="stack-lg">
          <div className="page-header">
            <div>
              <h1>Run of {name}</h1>
              <p className="muted">
                {String(r.trigger.type).replace('_', ' ')} trigger · created {dateTime(r.createdAt)}
                {typeof r.durationMs === 'number' ? ` · took ${duration(r.durationMs)}` : ''} · <span className="mono">{r.executionId}</span>
              </p>
            </div>
            <div className="row">
              <span role="status" aria-label={`Run status: ${r.status}`}>
                <StatusBadge status={r.status} />
              </span>
              {live && atLeast(me.role, 'member') ? (
                <Button variant="danger" onPress={() => setConfirm(true)} isDisabled={r.cancelRequested}>
                  {r.cancelRequested ? 'Cancelling…' : 'Cancel run'}
                </Button>
              ) : null}
            </div>
          </div>
          {live ? <p className="small muted">This run is still going; the page follows it.</p> : null}
          {r.status === 'failed' ? (
            <Alert tone="danger" role="alert" title="The run failed">
              <p>{errorText(r.error) || 'A step failed.'}</p>
              {r.deadLettered ? <p>Its job kept failing and was moved to the dead-letter queue; an operator can look at it there.</p> : null}
            </Alert>
          ) : null}
          {r.status === 'succeeded' ? (
            <Alert tone="success" role="status" title="The run succeeded">
              <p>
                {r.steps.length} {r.steps.length === 1 ? 'step' : 'steps'} ran.
              </p>
            </Alert>
          ) : null}
          {r.status === 'cancelled' ? (
            <Alert tone="warning" role="status" title="The run was cancelled">
              <p>Steps that had finished stay done; no step after them ran.</p>
            </Alert>
          ) : null}
          <JsonBlock label="Trigger data" value={r.trigger.data ?? {}} />
          <section className="stack" aria-labelledby="steps-title">
            <h2 id="steps-title">Steps</h2>
            {r.steps.length === 0 ? <p className="small muted">{live ? 'No step has started yet.' : 'No step ran.'}</p> : null}
            <ol className="timeline">
              {r.steps.map((s) => (
                <StepRow key={`${s.path}-${s.seq}`} step={s} runEnded={!live} />
              ))}
            </ol>
          </section>
          <section className="stack" aria-labelledby="logs-title">
            <h2 id="logs-title">Logs</h2>
            {r.logs.length === 0 ? (
              <p className="small muted">Nothing was logged.</p>
            ) : (
              <pre className="code-block" tabIndex={0} role="region" aria-labelledby="logs-title">
                {r.logs.map((l) => `${time(l.at)} ${l.level}${l.step ? ` · ${l.step}` : ''}: ${l.message}`).join('\n')}
              </pre>
            )}
          </section>
        </div>
      ) : null}
      <ConfirmMutation
        item={confirm}
        onClose={() => setConfirm(false)}
        title="Cancel this run?"
        confirmLabel="Cancel run"
        mutation={cancel}
        variables={() => undefined}
        done="The run stops before its next step"
        onProblem={(p) => toast(p.detail ?? 'Could not cancel', 'error')}
      >
        <p>A waiting run ends at once; a running one before its next step. What finished stays done.</p>
      </ConfirmMutation>
    </div>
  );
}
