// `/jobs/:transactionId`: one saga as a timeline — each step and each compensation with its
// timings, results and errors, the progress while it runs (with Cancel), and the outcome in
// words: what was written, or what was undone and what could not be (which needs a person).
import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { atLeast, type Saga, type SagaLogEntry, type SagaStep } from '../../api/types';
import { useMe } from '../../app/auth';
import { Alert } from '../../ui/Alert';
import { Breadcrumbs } from '../../ui/Breadcrumbs';
import { Button } from '../../ui/Button';
import { ConfirmMutation } from '../../ui/Dialog';
import { QueryState } from '../../ui/feedback';
import { between, dateTime, duration, time } from '../../ui/format';
import { JsonBlock } from '../../ui/JsonBlock';
import { ProgressBar } from '../../ui/Progress';
import { StatusBadge } from '../../ui/StatusBadge';
import { useToast } from '../../ui/Toast';
import { useTitle } from '../../ui/useTitle';
import { CopyButton } from '../../ui/CopyButton';
import { airtableUrl, recordKeys, useBases } from '../records/api';
import { isFinal, useCancelSaga, useSaga } from './api';

export const TYPE_LABELS: Record<string, string> = { import_file: 'Import', bulk_update: 'Bulk update', sync_tables: 'Table sync' };

const STEP_LABELS: Record<string, string> = {
  prepare: 'Prepare the table',
  write_rows: 'Write the rows',
  snapshot: 'Save the records as they are',
  update: 'Update the records',
  plan: 'Plan the sync',
  apply: 'Apply the plan',
};

const PROGRESS_LABELS: Record<string, string> = { write_rows: 'Records written', update: 'Records updated', apply: 'Changes applied', compensation: 'Records deleted again' };

function sentence(s: string): string {
  const t = s.trim();
  return t ? `${t[0]?.toUpperCase() ?? ''}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}` : '';
}

/** `write_rows: writing rows 51–60: …` → `Write the rows: writing rows 51–60: …`. */
function stepWords(error: string): string {
  return error.replace(/^(\w+): /, (m, step: string) => (STEP_LABELS[step] ? `${STEP_LABELS[step]}: ` : m));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Where an import went (from its input and its steps' results). */
export function importTarget(s: Saga): { baseId?: string; tableId?: string; tableName?: string; created?: number; rows?: number } {
  const prepare = s.steps.find((x) => x.name === 'prepare')?.result as { tableId?: string; tableName?: string; rows?: number } | undefined;
  const write = s.steps.find((x) => x.name === 'write_rows')?.result as { created?: number; tableId?: string } | undefined;
  const created = s.input.createTable as { name?: string } | undefined;
  const out: { baseId?: string; tableId?: string; tableName?: string; created?: number; rows?: number } = {};
  const baseId = str(s.input.baseId);
  if (baseId) out.baseId = baseId;
  const tableId = write?.tableId ?? prepare?.tableId;
  if (tableId) out.tableId = tableId;
  const tableName = prepare?.tableName ?? created?.name ?? str(s.input.table);
  if (tableName) out.tableName = tableName;
  if (write?.created !== undefined) out.created = write.created;
  if (prepare?.rows !== undefined) out.rows = prepare.rows;
  return out;
}

/** The records a failed compensation left behind (its log names them): each id, with a link to
 *  it in Airtable when the base and table are known, and the whole list to copy. */
function RemainingRecords({ ids, baseId, tableId }: { ids: string[]; baseId: string | undefined; tableId: string | undefined }) {
  return (
    <div className="remaining">
      <p>
        <strong>{ids.length === 1 ? 'The record to delete by hand:' : `The ${ids.length.toLocaleString()} records to delete by hand:`}</strong>
      </p>
      <div className="remaining-list" role="region" aria-label="Records to delete by hand" tabIndex={0}>
        <ul>
          {ids.map((id) => (
            <li key={id}>
              <span className="mono">{id}</span>
              {baseId && tableId ? (
                <a href={airtableUrl(baseId, tableId, id)} target="_blank" rel="noopener noreferrer" aria-label={`Open in Airtable: ${id} (opens in a new tab)`}>
                  Open in Airtable <span aria-hidden="true">↗</span>
                </a>
              ) : null}
            </li>
          ))}
        </ul>
      </div>
      <div className="row">
        <CopyButton text={ids.join('\n')} label={ids.length === 1 ? 'Copy the id' : 'Copy the ids'} size="sm" />
      </div>
    </div>
  );
}

function Outcome({ saga }: { saga: Saga }) {
  const t = importTarget(saga);
  const kind = TYPE_LABELS[saga.type] ?? saga.type;
  const undone = saga.compensationLog.filter((l) => l.outcome !== 'failed');
  const failed = saga.compensationLog.filter((l) => l.outcome === 'failed');
  const remaining = failed.flatMap((l) => l.remainingRecordIds ?? []);
  const table = t.tableName ? `“${t.tableName}”` : 'the table';
  const whatUndone =
    undone.length > 0 ? (
      <ul>
        {undone.map((l, i) => (
          <li key={i}>{l.outcome === 'nothing_to_undo' || !l.detail ? `${STEP_LABELS[l.step] ?? l.step}: nothing to undo.` : sentence(l.detail)}</li>
        ))}
      </ul>
    ) : null;
  switch (saga.status) {
    case 'completed':
      return (
        <Alert tone="success" role="status" title={`${kind} completed`}>
          {saga.type === 'import_file' ? (
            <>
              <p>
                {t.created !== undefined ? `${t.created.toLocaleString()} records were written` : 'The rows were written'} to {t.tableName ? `“${t.tableName}”` : 'the table'}.
              </p>
              {t.baseId && t.tableId ? (
                <p>
                  <Link to={`/bases/${t.baseId}/tables/${t.tableId}`}>Open {t.tableName ?? 'the table'} in the grid</Link>
                </p>
              ) : null}
            </>
          ) : (
            <p>Every step finished.</p>
          )}
        </Alert>
      );
    case 'compensated':
      return (
        <Alert tone="warning" role="alert" title={`${kind} ${saga.cancelRequested ? 'cancelled' : 'failed'} — everything it wrote was undone`}>
          {saga.error ? <p>{saga.cancelRequested ? 'Why it stopped' : 'What went wrong'}: {sentence(stepWords(saga.error))}</p> : null}
          <p>What was undone:</p>
          {whatUndone}
          <p>{saga.type === 'import_file' && saga.input.table ? 'The table is as it was before the import.' : 'Nothing it wrote is left behind.'}</p>
        </Alert>
      );
    case 'compensation_failed':
      return (
        <Alert tone="danger" role="alert" title="Needs a person: the rollback did not finish">
          {saga.error ? <p>{sentence(stepWords(saga.error))}</p> : null}
          <p>
            <strong>What could not be undone:</strong>
          </p>
          <ul>
            {failed.map((l, i) => (
              <li key={i}>
                {STEP_LABELS[l.step] ?? l.step}: {sentence(l.detail)}
              </li>
            ))}
          </ul>
          {remaining.length > 0 ? <RemainingRecords ids={remaining} baseId={t.baseId} tableId={t.tableId} /> : null}
          {undone.length > 0 ? (
            <>
              <p>What was undone:</p>
              {whatUndone}
            </>
          ) : null}
          <p>
            {remaining.length > 0
              ? `Delete ${remaining.length === 1 ? 'it' : 'them'} from ${table} in Airtable by hand; the platform will not try again.`
              : `Check ${table} in Airtable and remove what is listed above by hand; the platform will not try again.`}
          </p>
        </Alert>
      );
    case 'failed':
      return (
        <Alert tone="danger" role="alert" title={`${kind} failed before changing anything`}>
          <p>{saga.error ? sentence(stepWords(saga.error)) : 'A step failed.'}</p>
        </Alert>
      );
    default:
      return null;
  }
}

function StepItem({ step }: { step: SagaStep }) {
  const ms = between(step.startedAt, step.finishedAt);
  return (
    <li className="timeline-item" data-status={step.status}>
      <div className="timeline-head">
        <span className="timeline-name">{STEP_LABELS[step.name] ?? step.name}</span>
        <StatusBadge status={step.status} />
        <span className="small muted">
          {step.startedAt ? `started ${time(step.startedAt)}` : 'not started'}
          {step.finishedAt ? ` · finished ${time(step.finishedAt)}` : ''}
          {ms !== null ? ` · ${duration(ms)}` : ''}
        </span>
      </div>
      {step.error ? <p className="field-error small">{sentence(step.error)}</p> : null}
      {step.result !== undefined && step.result !== null ? <JsonBlock label={`Result of ${STEP_LABELS[step.name] ?? step.name}`} value={step.result} /> : null}
    </li>
  );
}

function LogItem({ entry }: { entry: SagaLogEntry }) {
  const status = entry.outcome === 'failed' ? 'undo_failed' : entry.outcome === 'nothing_to_undo' ? 'skipped' : 'undone';
  return (
    <li className="timeline-item timeline-undo" data-status={status}>
      <div className="timeline-head">
        <span className="timeline-name">Undo: {STEP_LABELS[entry.step] ?? entry.step}</span>
        <StatusBadge status={status} label={entry.outcome === 'nothing_to_undo' ? 'nothing to undo' : entry.outcome === 'failed' ? 'undo failed' : 'undone'} />
        <span className="small muted">{time(entry.at)}</span>
      </div>
      {entry.detail ? <p className="small">{sentence(entry.detail)}</p> : null}
    </li>
  );
}

export function Component() {
  const { transactionId = '' } = useParams();
  const me = useMe();
  const toast = useToast();
  const saga = useSaga(transactionId);
  const cancel = useCancelSaga(transactionId);
  const bases = useBases();
  const [confirm, setConfirm] = useState(false);
  const s = saga.data;
  const kind = s ? (TYPE_LABELS[s.type] ?? s.type) : 'Job';
  useTitle(s ? `${kind} · ${s.status.replace(/_/g, ' ')}` : 'Job');
  const t = s ? importTarget(s) : {};
  const baseName = bases.data?.find((b) => b.id === t.baseId)?.name ?? t.baseId;
  const running = s ? !isFinal(s.status) : false;
  // A finished import changed the base (a new table, new records): what the app holds of it is old.
  const qc = useQueryClient();
  const finalStatus = s && !running ? s.status : null;
  useEffect(() => {
    if (!finalStatus || !t.baseId) return;
    void qc.invalidateQueries({ queryKey: recordKeys.schema(t.baseId) });
    qc.removeQueries({ queryKey: ['records', t.baseId] });
  }, [finalStatus, t.baseId, qc]);

  return (
    <div className="page">
      <Breadcrumbs trail={[{ to: '/jobs', label: 'Jobs' }]} current={kind} />
      <QueryState query={saga} label="Loading…" />
      {s ? (
        <div className="stack-lg">
          <div className="page-header">
            <div>
              <h1>
                {kind}
                {t.tableName ? ` into ${t.tableName}` : ''}
              </h1>
              <p className="muted">
                {baseName ? `${baseName} · ` : ''}started {dateTime(s.createdAt)} · <span className="mono">{s.transactionId}</span>
              </p>
            </div>
            <div className="row">
              <span role="status" aria-label={`Status: ${s.status.replace(/_/g, ' ')}`}>
                <StatusBadge status={s.status} />
              </span>
              {running && atLeast(me.role, 'member') ? (
                <Button variant="danger" isDisabled={s.cancelRequested || s.status === 'compensating'} onPress={() => setConfirm(true)}>
                  {s.cancelRequested ? 'Cancelling…' : 'Cancel'}
                </Button>
              ) : null}
            </div>
          </div>
          {running ? (
            <div className="card stack">
              {s.progress && s.progress.total > 0 ? (
                <ProgressBar
                  label={PROGRESS_LABELS[s.progress.step] ?? s.progress.step}
                  value={s.progress.done}
                  max={s.progress.total}
                  valueText={`${s.progress.done.toLocaleString()} of ${s.progress.total.toLocaleString()}`}
                />
              ) : (
                <ProgressBar label={s.status === 'compensating' ? 'Undoing' : 'Starting'} value={null} />
              )}
              <p className="small muted">
                {s.status === 'compensating'
                  ? 'A step failed or the job was cancelled: what it wrote is being undone.'
                  : `Now: ${STEP_LABELS[s.steps.find((x) => x.status === 'running')?.name ?? ''] ?? 'waiting for the next step'}. You can leave this page; you will be told when it ends.`}
              </p>
            </div>
          ) : (
            <Outcome saga={s} />
          )}
          <section aria-labelledby="timeline-title" className="stack">
            <h2 id="timeline-title">Timeline</h2>
            <ol className="timeline">
              {s.steps.map((step) => (
                <StepItem key={step.name} step={step} />
              ))}
              {s.compensationLog.map((entry, i) => (
                <LogItem key={`${entry.step}-${i}`} entry={entry} />
              ))}
            </ol>
          </section>
          <JsonBlock label="Input" value={s.input} />
        </div>
      ) : null}
      <ConfirmMutation
        item={confirm}
        onClose={() => setConfirm(false)}
        title={`Cancel this ${kind.toLowerCase()}?`}
        confirmLabel={`Cancel the ${kind.toLowerCase()}`}
        mutation={cancel}
        variables={() => undefined}
        done="Cancelling: the running step stops at its next batch, then what was written is undone"
        onProblem={(p) => toast(p.detail ?? 'Could not cancel', 'error')}
      >
        <p>The running step stops at its next batch, and everything written so far is deleted again.</p>
      </ConfirmMutation>
    </div>
  );
}
