// `/workflows`: every workflow with its status (enabled/paused), trigger, last run and its
// outcome, and how many runs succeeded and failed.
import { Link } from 'react-router';
import { asProblem } from '../../api/problem';
import { atLeast, type Workflow } from '../../api/types';
import { useMe } from '../../app/auth';
import { ProblemAlert } from '../../ui/Alert';
import { EmptyState, Skeleton } from '../../ui/feedback';
import { dateTime } from '../../ui/format';
import { ListTable } from '../../ui/ListTable';
import { StatusBadge } from '../../ui/StatusBadge';
import { useTitle } from '../../ui/useTitle';
import { useWorkflows } from './api';
import { TRIGGER_LABELS } from './definition';

export function triggerText(w: Pick<Workflow, 'trigger'>): string {
  const t = w.trigger;
  switch (t.type) {
    case 'schedule':
      return t.rate ? `every ${t.rate}` : `cron ${t.cron ?? ''}${t.timezone ? ` (${t.timezone})` : ''}`;
    case 'file_processed':
      return `a ${t.fileType ? t.fileType.toUpperCase() : ''} file${t.namePattern ? ` named ${t.namePattern}` : ''} is processed`.replace('a  file', 'a file');
    case 'record_matches':
      return `records ${t.on ?? 'created'} in ${t.table}`;
    default:
      return TRIGGER_LABELS[t.type];
  }
}

export function Component() {
  useTitle('Workflows');
  const me = useMe();
  const workflows = useWorkflows();
  const canEdit = atLeast(me.role, 'member');
  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Workflows</h1>
          <p className="muted">Steps that run by themselves — on a schedule, a webhook, a new file or new records — with the same Airtable tools as the chat.</p>
        </div>
        {canEdit ? (
          <Link className="btn btn-primary" to="/workflows/new">
            + New workflow
          </Link>
        ) : null}
      </div>
      {!canEdit ? <p className="small muted read-only-note">You have read-only access (viewer): you can see workflows and their runs.</p> : null}
      {workflows.isPending ? (
        <div role="status" aria-label="Loading workflows" className="stack">
          <Skeleton height={36} />
          <Skeleton height={36} />
        </div>
      ) : null}
      {workflows.isError ? <ProblemAlert problem={asProblem(workflows.error)} /> : null}
      {workflows.data && workflows.data.length === 0 ? (
        <EmptyState
          title="No workflows yet"
          icon="flow"
          action={
            canEdit ? (
              <Link className="btn btn-primary" to="/workflows/new">
                Build a workflow
              </Link>
            ) : undefined
          }
        >
          For example: every morning, find the new leads and post them to your team's webhook.
        </EmptyState>
      ) : null}
      {workflows.data && workflows.data.length > 0 ? (
        <ListTable caption="Workflows" columns={['Name', 'Status', 'Trigger', 'Last run', 'Runs']}>
          {workflows.data.map((w) => (
            <tr key={w.id}>
              <td>
                <Link to={`/workflows/${w.id}`}>{w.name}</Link>
                {w.description ? <div className="small muted">{w.description}</div> : null}
              </td>
              <td>
                <StatusBadge status={w.enabled ? 'enabled' : 'paused'} />
              </td>
              <td className="small">{triggerText(w)}</td>
              <td className="nowrap">
                {w.stats.lastRunAt ? (
                  <>
                    {w.stats.lastStatus ? <StatusBadge status={w.stats.lastStatus} /> : null} <span className="small">{dateTime(w.stats.lastRunAt)}</span>
                  </>
                ) : (
                  <span className="muted small">never</span>
                )}
              </td>
              <td className="nowrap small">
                <span className="fit-ok">{w.stats.successes} ✓</span> · <span className={w.stats.failures ? 'field-error' : 'muted'}>{w.stats.failures} ✕</span> <span className="muted">of {w.stats.runs}</span>
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </div>
  );
}
