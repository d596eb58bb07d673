// `/jobs`: the workspace's sagas — imports, bulk updates, syncs — newest first, filtered by type
// and status by the API, a page at a time.
import { Link, useSearchParams } from 'react-router';
import { asProblem } from '../../api/problem';
import type { Saga } from '../../api/types';
import { ProblemAlert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { EmptyState, Skeleton } from '../../ui/feedback';
import { dateTime } from '../../ui/format';
import { ListTable } from '../../ui/ListTable';
import { StatusBadge } from '../../ui/StatusBadge';
import { useTitle } from '../../ui/useTitle';
import { useSagas } from './api';
import { importTarget, TYPE_LABELS } from './SagaPage';

const STATUSES = ['running', 'completed', 'compensating', 'compensated', 'compensation_failed', 'failed'];

function summary(s: Saga): string {
  if (s.type === 'import_file') {
    const t = importTarget(s);
    return `into ${t.tableName ?? 'a table'}${t.created !== undefined ? ` · ${t.created.toLocaleString()} records` : ''}`;
  }
  if (s.type === 'bulk_update') return `in ${typeof s.input.table === 'string' ? s.input.table : 'a table'}`;
  if (s.type === 'sync_tables') return `${String(s.input.sourceTable ?? '')} → ${String(s.input.targetTable ?? '')}`;
  return '';
}

export function Component() {
  useTitle('Jobs');
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const type = params.get('type') ?? '';
  const sagas = useSagas(status, type);
  const all = sagas.data?.pages.flatMap((p) => p.transactions) ?? [];
  const set = (name: string, value: string) =>
    setParams((p) => {
      const n = new URLSearchParams(p);
      if (value) n.set(name, value);
      else n.delete(name);
      return n;
    });

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Jobs</h1>
          <p className="muted">Imports, bulk updates and table syncs: long changes to Airtable that undo themselves when a step fails (sagas).</p>
        </div>
      </div>
      <div className="toolbar filters" role="group" aria-label="Filters">
        <div className="field">
          <label htmlFor="job-type">Type</label>
          <select id="job-type" className="input input-compact" value={type} onChange={(e) => set('type', e.target.value)}>
            <option value="">All types</option>
            {Object.entries(TYPE_LABELS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="job-status">Status</label>
          <select id="job-status" className="input input-compact" value={status} onChange={(e) => set('status', e.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </div>
      </div>
      {sagas.isPending ? (
        <div role="status" aria-label="Loading jobs" className="stack">
          <Skeleton height={36} />
          <Skeleton height={36} />
        </div>
      ) : null}
      {sagas.isError ? <ProblemAlert problem={asProblem(sagas.error)} /> : null}
      {sagas.data && all.length === 0 ? (
        <EmptyState title={status || type ? 'No jobs match' : 'No jobs yet'} icon="inbox">
          {status || type ? 'Try another filter.' : 'Imports started from Files appear here, with every step they took.'}
        </EmptyState>
      ) : null}
      {all.length > 0 ? (
        <ListTable caption="Jobs, newest first" columns={['Job', 'Status', 'Progress', 'Started']}>
          {all.map((s) => (
            <tr key={s.transactionId}>
              <td>
                <Link to={`/jobs/${s.transactionId}`}>{TYPE_LABELS[s.type] ?? s.type}</Link> <span className="muted small">{summary(s)}</span>
              </td>
              <td>
                <StatusBadge status={s.status} />
              </td>
              <td className="nowrap num">{s.progress ? `${s.progress.done.toLocaleString()} / ${s.progress.total.toLocaleString()}` : '—'}</td>
              <td className="nowrap">{dateTime(s.createdAt)}</td>
            </tr>
          ))}
        </ListTable>
      ) : null}
      {sagas.hasNextPage ? (
        <div className="row load-more">
          <Button onPress={() => void sagas.fetchNextPage()} isDisabled={sagas.isFetchingNextPage}>
            {sagas.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </Button>
        </div>
      ) : null}
    </div>
  );
}
