// `/workflows/:workflowId`: a workflow — run it now (with trigger data as JSON), pause or enable
// it, edit or delete it; its schedule's next runs; a webhook's URL, its signing secret (shown
// once, when it is made) and a curl example that signs a body; and its run history, paged and
// filtered by the API.
import { useEffect, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { origin } from '../../api/client';
import { asProblem, type Problem } from '../../api/problem';
import { atLeast, type Workflow } from '../../api/types';
import { useMe } from '../../app/auth';
import { useWatch } from '../../app/watch';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { Breadcrumbs } from '../../ui/Breadcrumbs';
import { Button } from '../../ui/Button';
import { CopyButton, CopyValue } from '../../ui/CopyButton';
import { ConfirmMutation, ModalDialog } from '../../ui/Dialog';
import { EmptyState, Loading, QueryState } from '../../ui/feedback';
import { between, dateTime, duration } from '../../ui/format';
import { ListTable } from '../../ui/ListTable';
import { StatusBadge } from '../../ui/StatusBadge';
import { useToast } from '../../ui/Toast';
import { useTitle } from '../../ui/useTitle';
import { idempotencyKey, useDeleteWorkflow, useRotateSecret, useRuns, useSetEnabled, useTrigger, useWorkflow } from './api';
import { NextRuns } from './NextRuns';
import { triggerText } from './WorkflowsPage';

/** A shell script that signs a body the way the API checks it and sends it. */
export function curlExample(url: string, secret: string): string {
  return [
    `SECRET='${secret}'`,
    `BODY='{"hello": "world"}'`,
    'TS=$(date +%s)',
    `SIG=$(printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')`,
    `curl -X POST '${url}' \\`,
    "  -H 'content-type: application/json' \\",
    '  -H "X-Timestamp: $TS" \\',
    '  -H "X-Signature-256: sha256=$SIG" \\',
    '  -d "$BODY"',
  ].join('\n');
}

function Webhook({ workflow, secret, onRotated, canEdit }: { workflow: Workflow; secret: string | null; onRotated: (s: string) => void; canEdit: boolean }) {
  const rotate = useRotateSecret(workflow.id);
  const [confirm, setConfirm] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const url = `${origin}${workflow.webhook?.url ?? `/api/v1/hooks/${workflow.id}`}`;
  const example = curlExample(url, secret ?? 'whsec_…');
  return (
    <section className="card stack" aria-labelledby="webhook-title">
      <h2 id="webhook-title">Webhook</h2>
      <div className="stack">
        <span className="field-label">URL</span>
        <CopyValue value={url} label="Copy URL" testId="webhook-url" />
      </div>
      {secret ? (
        <Alert tone="warning" role="alert" title="The signing secret — this is the only time it is shown">
          <p>Copy it now into the system that will call this webhook. It is stored sealed and never shown again; if it is lost, rotate it.</p>
          <CopyValue value={secret} label="Copy secret" testId="webhook-secret" />
        </Alert>
      ) : (
        <p className="small muted">The signing secret was shown once, when it was made. {canEdit ? 'Rotate it to get a new one (the old one stops working).' : ''}</p>
      )}
      <div className="stack">
        <span className="field-label" id="curl-label">
          Send a signed request
        </span>
        <p className="small muted">
          Sign <code>{'<timestamp>.<body>'}</code> with HMAC-SHA256 and the secret; send the timestamp (epoch seconds, within 5 minutes) in <code>X-Timestamp</code> and{' '}
          <code>sha256=&lt;hex&gt;</code> in <code>X-Signature-256</code>. Each signed request runs once.
        </p>
        <pre className="code-block" tabIndex={0} role="region" aria-labelledby="curl-label" data-testid="webhook-curl">
          {example}
        </pre>
        <div className="row">
          <CopyButton text={example} label="Copy example" />
          {canEdit ? (
            <Button onPress={() => setConfirm(true)} variant="ghost">
              Rotate secret
            </Button>
          ) : null}
        </div>
      </div>
      {problem ? <ProblemAlert problem={problem} /> : null}
      <ConfirmMutation
        item={confirm}
        onClose={() => setConfirm(false)}
        title="Rotate the signing secret?"
        confirmLabel="Rotate secret"
        mutation={rotate}
        variables={() => undefined}
        onDone={(r) => onRotated(r.secret)}
        onProblem={setProblem}
      >
        <p>Callers using the current secret are refused from now on.</p>
      </ConfirmMutation>
    </section>
  );
}

function RunNowDialog({ workflow, isOpen, onOpenChange }: { workflow: Workflow; isOpen: boolean; onOpenChange: (o: boolean) => void }) {
  const trigger = useTrigger(workflow.id);
  const watch = useWatch();
  const navigate = useNavigate();
  const [text, setText] = useState('{}');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [key, setKey] = useState(idempotencyKey);
  useEffect(() => {
    if (isOpen) {
      setKey(idempotencyKey());
      setProblem(null);
    }
  }, [isOpen]);
  return (
    <ModalDialog isOpen={isOpen} onOpenChange={onOpenChange} title={`Run ${workflow.name} now`}>
      {(close) => (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            let data: unknown;
            try {
              data = text.trim() ? JSON.parse(text) : {};
            } catch (err) {
              setProblem({ title: 'Not valid JSON', status: 422, detail: err instanceof Error ? err.message : String(err) });
              return;
            }
            if (!data || typeof data !== 'object' || Array.isArray(data)) {
              setProblem({ title: 'Trigger data is an object', status: 422, detail: 'Give a JSON object, e.g. {"name": "Ada"}: its keys are {{trigger.<key>}} in the steps.' });
              return;
            }
            trigger.mutate(
              { data: data as Record<string, unknown>, key },
              {
                onSuccess: (r) => {
                  watch({ kind: 'run', id: r.executionId, workflowId: workflow.id, label: `The run of ${workflow.name}` });
                  close();
                  navigate(`/workflows/${workflow.id}/runs/${r.executionId}`);
                },
                onError: (err) => setProblem(asProblem(err)),
              },
            );
          }}
        >
          <div className="field">
            <label htmlFor="trigger-data">Trigger data (JSON)</label>
            <textarea id="trigger-data" className="input mono" rows={6} value={text} onChange={(e) => setText(e.target.value)} aria-describedby="trigger-data-desc" spellCheck={false} />
            <div id="trigger-data-desc" className="field-description">
              The steps read it as {'{{trigger.<key>}}'}.
            </div>
          </div>
          {problem ? <ProblemAlert problem={problem} /> : null}
          <div className="dialog-actions">
            <Button onPress={close}>Cancel</Button>
            <Button type="submit" variant="primary" isDisabled={trigger.isPending}>
              {trigger.isPending ? 'Starting…' : 'Run'}
            </Button>
          </div>
        </form>
      )}
    </ModalDialog>
  );
}

function Runs({ workflowId }: { workflowId: string }) {
  const [status, setStatus] = useState('');
  const runs = useRuns(workflowId, status);
  const all = runs.data?.pages.flatMap((p) => p.executions) ?? [];
  return (
    <section className="stack" aria-labelledby="runs-title">
      <div className="row-between">
        <h2 id="runs-title">Runs</h2>
        <div className="field field-inline">
          <label htmlFor="run-status">Status</label>
          <select id="run-status" className="input input-compact" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            {['pending', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      <QueryState query={runs} label="Loading runs…" />
      {runs.data && all.length === 0 ? <EmptyState title={status ? `No ${status} runs` : 'No runs yet'} icon="inbox" /> : null}
      {all.length > 0 ? (
        <ListTable caption="Runs, newest first" columns={['Run', 'Status', 'Trigger', 'Duration', 'Error']}>
          {all.map((r) => (
            <tr key={r.executionId}>
              <td className="nowrap">
                <Link to={`/workflows/${workflowId}/runs/${r.executionId}`}>{dateTime(r.createdAt)}</Link>
              </td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td className="small">{String(r.trigger.type).replace('_', ' ')}</td>
              <td className="nowrap num">{duration(between(r.createdAt, r.finishedAt))}</td>
              <td className="small">{r.error ? r.error : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </ListTable>
      ) : null}
      {runs.hasNextPage ? (
        <div className="row load-more">
          <Button onPress={() => void runs.fetchNextPage()} isDisabled={runs.isFetchingNextPage}>
            {runs.isFetchingNextPage ? 'Loading…' : 'Load more runs'}
          </Button>
        </div>
      ) : null}
    </section>
  );
}

export function Component() {
  const { workflowId = '' } = useParams();
  const me = useMe();
  const toast = useToast();
  const navigate = useNavigate();
  const location = useLocation();
  const workflow = useWorkflow(workflowId);
  const setEnabled = useSetEnabled(workflow.data);
  const del = useDeleteWorkflow();
  const [running, setRunning] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  // A secret handed over by the editor (create, or a switch to webhook): shown this once.
  const [secret, setSecret] = useState<string | null>(() => (location.state as { webhookSecret?: string } | null)?.webhookSecret ?? null);
  useEffect(() => {
    if (location.state) navigate(location.pathname, { replace: true, state: null });
  }, []);
  const w = workflow.data;
  useTitle(w?.name ?? 'Workflow');
  const canEdit = atLeast(me.role, 'member');

  if (workflow.isPending) return <Loading label="Loading the workflow…" />;
  if (workflow.isError || !w) {
    return (
      <div className="page">
        <ProblemAlert problem={asProblem(workflow.error)} />
      </div>
    );
  }

  return (
    <div className="page">
      <Breadcrumbs trail={[{ to: '/workflows', label: 'Workflows' }]} current={w.name} />
      <div className="page-header">
        <div>
          <h1>{w.name}</h1>
          <p className="muted">
            {w.description ? `${w.description} · ` : ''}Trigger: {triggerText(w)} · version {w.version}, saved {dateTime(w.updatedAt)}
          </p>
        </div>
        <div className="row">
          <StatusBadge status={w.enabled ? 'enabled' : 'paused'} />
          {canEdit ? (
            <>
              <Button variant="primary" onPress={() => setRunning(true)} isDisabled={!w.enabled}>
                Run now
              </Button>
              <Button
                isDisabled={setEnabled.isPending}
                onPress={() =>
                  setEnabled.mutate(!w.enabled, {
                    onSuccess: (s) => toast(s.enabled ? `${s.name} enabled` : `${s.name} paused`),
                    onError: (err) => setProblem(asProblem(err)),
                  })
                }
              >
                {w.enabled ? 'Pause' : 'Enable'}
              </Button>
              <Link className="btn" to={`/workflows/${w.id}/edit`}>
                Edit
              </Link>
              <Button variant="ghost" onPress={() => setConfirmDelete(true)}>
                Delete
              </Button>
            </>
          ) : null}
        </div>
      </div>
      <div className="stack-lg">
        {problem ? <ProblemAlert problem={problem} /> : null}
        {!w.enabled ? (
          <Alert tone="info" title="Paused">
            <p>It does not run{w.trigger.type === 'schedule' ? ' on its schedule' : ''} until it is enabled again.</p>
          </Alert>
        ) : null}
        <dl className="summary-list card">
          <div>
            <dt>Runs</dt>
            <dd>{w.stats.runs}</dd>
          </div>
          <div>
            <dt>Succeeded</dt>
            <dd>{w.stats.successes}</dd>
          </div>
          <div>
            <dt>Failed</dt>
            <dd>{w.stats.failures}</dd>
          </div>
          <div>
            <dt>Last run</dt>
            <dd>{w.stats.lastRunAt ? `${dateTime(w.stats.lastRunAt)} (${w.stats.lastStatus ?? '…'})` : 'never'}</dd>
          </div>
          <div>
            <dt>Steps</dt>
            <dd>{w.steps.map((s) => s.id).join(' → ')}</dd>
          </div>
        </dl>
        {w.trigger.type === 'schedule' && w.enabled ? (
          <section className="card stack" aria-label="Schedule">
            <NextRuns trigger={w.trigger} />
          </section>
        ) : null}
        {w.polling ? (
          <section className="card stack" aria-label="Watching records">
            <p className="small">
              Watching since {dateTime(w.polling.since)}; last looked {dateTime(w.polling.lastPollAt)}.
            </p>
            {w.polling.error ? (
              <Alert tone="danger" role="alert" title="The last look failed">
                <p>{w.polling.error}</p>
              </Alert>
            ) : null}
          </section>
        ) : null}
        {w.trigger.type === 'webhook' ? <Webhook workflow={w} secret={secret} onRotated={setSecret} canEdit={canEdit} /> : null}
        <Runs workflowId={w.id} />
      </div>
      {canEdit ? <RunNowDialog workflow={w} isOpen={running} onOpenChange={setRunning} /> : null}
      <ConfirmMutation
        item={confirmDelete && w}
        onClose={() => setConfirmDelete(false)}
        title={(x) => `Delete ${x.name}?`}
        confirmLabel="Delete workflow"
        mutation={del}
        variables={(x) => x.id}
        done={(x) => `${x.name} deleted`}
        onDone={() => navigate('/workflows')}
        onProblem={setProblem}
      >
        <p>Its schedule and webhook stop at once. The history of its runs is kept for a while but no longer listed here.</p>
      </ConfirmMutation>
    </div>
  );
}
