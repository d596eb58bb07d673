// `/files/:fileId/import`: where a processed table goes — a base, an existing table or a new
// one — and which column fills which field. Matches are proposed by name, every pair of types is
// checked before anything is written, and Start hands over to the import's live page.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { asProblem, fieldError, type Problem } from '../../api/problem';
import { atLeast, type FilePreview, type TableSchema } from '../../api/types';
import { useMe } from '../../app/auth';
import { useWatch } from '../../app/watch';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { Breadcrumbs } from '../../ui/Breadcrumbs';
import { QueryState } from '../../ui/feedback';
import { useTitle } from '../../ui/useTitle';
import { useBases, useSchema } from '../records/api';
import { useFile, useStartImport } from './api';
import { fit, isComputed, newFieldType, propose, type Fit } from './mapping';

/** The most rows one import writes (the API refuses more). */
export const MAX_IMPORT_ROWS = 10_000;

function baseName(name: string): string {
  return name.replace(/\.[^.]+$/, '').slice(0, 100) || 'Imported';
}

function sample(preview: FilePreview, index: number): string {
  for (const row of preview.rows) {
    const v = row[index];
    if (v !== null && v !== undefined && v !== '') return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return '';
}

function FitNote({ f, id }: { f: Fit | null; id: string }) {
  if (!f) return <span id={id} className="small muted">skipped</span>;
  if (f.level === 'ok') {
    return (
      <span id={id} className="small fit-ok">
        ✓ fits
      </span>
    );
  }
  return (
    <span id={id} className={`small ${f.level === 'error' ? 'field-error' : 'fit-warn'}`}>
      {f.level === 'error' ? '✕ ' : '! '}
      {f.message}
    </span>
  );
}

function MappingTable({
  preview,
  table,
  mapping,
  onChange,
  typecast,
  problem,
}: {
  preview: FilePreview;
  table: TableSchema | null;
  mapping: Record<string, string>;
  onChange: (column: string, field: string) => void;
  typecast: boolean;
  problem: Problem | null;
}) {
  const writable = table?.fields.filter((f) => !isComputed(f.type)) ?? [];
  return (
    <div className="table-wrap">
      <table className="list mapping">
        <caption className="visually-hidden">Which file column fills which field</caption>
        <thead>
          <tr>
            <th scope="col">Column in the file</th>
            <th scope="col">Example</th>
            <th scope="col">{table ? 'Field in the table' : 'Field in the new table'}</th>
            <th scope="col">Fit</th>
          </tr>
        </thead>
        <tbody>
          {preview.columns.map((c, i) => {
            const target = mapping[c.name] ?? '';
            const field = table?.fields.find((f) => f.name === target);
            const f = !target ? null : table ? (field ? fit(c.type, field.type, typecast) : ({ level: 'ok' } as Fit)) : fit(c.type, newFieldType(c.type), typecast);
            const noteId = `fit-${i}`;
            const err = fieldError(problem, `input.mapping.${c.name}`);
            return (
              <tr key={c.name} data-fit={f?.level ?? 'skip'}>
                <th scope="row">
                  <span className="col-name">{c.name}</span> <span className="badge type-badge">{c.type}</span>
                </th>
                <td className="sample">{sample(preview, i) || <span className="muted">—</span>}</td>
                <td>
                  {table ? (
                    <select
                      className="input input-compact"
                      aria-label={`Field for ${c.name}`}
                      aria-describedby={noteId}
                      aria-invalid={f?.level === 'error' || undefined}
                      value={target}
                      onChange={(e) => onChange(c.name, e.target.value)}
                    >
                      <option value="">— skip this column —</option>
                      {writable.map((fl) => (
                        <option key={fl.id} value={fl.name}>
                          {fl.name} ({fl.type})
                        </option>
                      ))}
                      {target && !field ? <option value={target}>{target} (new field)</option> : null}
                    </select>
                  ) : (
                    <input
                      className="input input-compact"
                      aria-label={`Field for ${c.name}`}
                      aria-describedby={noteId}
                      placeholder="skip this column"
                      value={target}
                      onChange={(e) => onChange(c.name, e.target.value)}
                    />
                  )}
                  {err ? <div className="field-error small">{err}</div> : null}
                </td>
                <td>
                  {target && !table ? <span className="small muted">{newFieldType(c.type)} · </span> : null}
                  <FitNote f={f} id={noteId} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function Component() {
  const { fileId = '' } = useParams();
  const me = useMe();
  const navigate = useNavigate();
  const watch = useWatch();
  const file = useFile(fileId);
  const bases = useBases();
  const [baseId, setBaseId] = useState('');
  const schema = useSchema(baseId || undefined);
  const [mode, setMode] = useState<'new' | 'existing'>('new');
  const [tableId, setTableId] = useState('');
  const [newName, setNewName] = useState('');
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [typecast, setTypecast] = useState(true);
  const [problem, setProblem] = useState<Problem | null>(null);
  const start = useStartImport(fileId);
  const f = file.data;
  const preview = f?.preview ?? null;
  useTitle(f ? `Import ${f.name}` : 'Import');

  // One base: chosen for the user.
  useEffect(() => {
    if (!baseId && bases.data?.length === 1 && bases.data[0]) setBaseId(bases.data[0].id);
  }, [bases.data, baseId]);
  useEffect(() => {
    if (f && !newName) setNewName(baseName(f.name));
  }, [f, newName]);

  const table = mode === 'existing' ? (schema.data?.find((t) => t.id === tableId) ?? null) : null;
  // Proposals follow the target: by name for an existing table, every column as itself for a new one.
  useEffect(() => {
    if (!preview) return;
    if (mode === 'new') setMapping(Object.fromEntries(preview.columns.map((c) => [c.name, c.name])));
    else setMapping(table ? propose(preview.columns, table.fields) : {});
  }, [preview, mode, table]);

  const checks = useMemo(() => {
    if (!preview) return [];
    return preview.columns.flatMap((c) => {
      const target = mapping[c.name];
      if (!target) return [];
      const field = table?.fields.find((x) => x.name === target);
      const r = table ? (field ? fit(c.type, field.type, typecast) : ({ level: 'ok' } as Fit)) : fit(c.type, newFieldType(c.type), typecast);
      return [{ column: c.name, fit: r }];
    });
  }, [preview, mapping, table, typecast]);
  const blocking = checks.filter((c) => c.fit.level === 'error');
  const mapped = checks.length;
  const tooMany = (preview?.rowCount ?? 0) > MAX_IMPORT_ROWS;

  if (!atLeast(me.role, 'member')) {
    return (
      <div className="page page-narrow">
        <Alert tone="warning" role="alert" title="Viewers cannot import">
          <p>Importing writes to Airtable; ask an admin for the member role.</p>
        </Alert>
      </div>
    );
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!baseId || blocking.length > 0 || mapped === 0 || tooMany) return;
    setProblem(null);
    const body = {
      baseId,
      mapping: Object.fromEntries(Object.entries(mapping).filter(([, v]) => v.trim())),
      typecast,
      ...(mode === 'existing' ? { table: tableId } : { createTable: { name: newName.trim() } }),
    };
    start.mutate(body, {
      onSuccess: (res) => {
        const where = mode === 'existing' ? (table?.name ?? 'the table') : `the new table “${newName.trim()}”`;
        watch({ kind: 'saga', id: res.transactionId, label: `The import of ${f?.name ?? 'the file'} into ${where}` });
        navigate(`/jobs/${res.transactionId}`);
      },
      onError: (err) => setProblem(asProblem(err)),
    });
  };

  return (
    <div className="page">
      <Breadcrumbs trail={[{ to: '/files', label: 'Files' }, { to: `/files/${fileId}`, label: f?.name ?? '…' }]} current="Import" />
      <div className="page-header">
        <div>
          <h1>Import {f?.name ?? ''}</h1>
          <p className="muted">The rows go into Airtable in batches; if a batch fails, the records written so far are deleted again.</p>
        </div>
      </div>
      <QueryState query={file} label="Loading the file…" />
      {f && (f.status !== 'processed' || !preview || preview.columns.length === 0) ? (
        <Alert tone="warning" role="alert" title="This file cannot be imported yet">
          <p>{f.status === 'processed' ? 'It holds no table (no columns were found).' : `It is ${f.status}; a table can be imported once it is processed.`}</p>
        </Alert>
      ) : null}
      {f && preview && preview.columns.length > 0 && f.status === 'processed' ? (
        <form className="stack-lg" onSubmit={submit} aria-label="Import settings">
          <fieldset className="card stack plain-fieldset import-target">
            <legend className="legend">1. Where to</legend>
            <div className="form-grid">
              <div className="field">
                <label htmlFor="import-base">Base</label>
                <select id="import-base" value={baseId} onChange={(e) => setBaseId(e.target.value)} required aria-invalid={Boolean(fieldError(problem, 'input.baseId')) || undefined}>
                  <option value="">Choose a base…</option>
                  {(bases.data ?? []).map((b) => (
                    <option key={b.id} value={b.id}>
                      {b.name}
                    </option>
                  ))}
                </select>
                {fieldError(problem, 'input.baseId') ? <div className="field-error">{fieldError(problem, 'input.baseId')}</div> : null}
              </div>
            </div>
            {bases.isError ? <ProblemAlert problem={asProblem(bases.error)} /> : null}
            <div role="radiogroup" aria-label="Which table" className="stack">
              <label className="choice">
                <input type="radio" name="mode" value="new" checked={mode === 'new'} onChange={() => setMode('new')} />
                <span>A new table</span>
              </label>
              {mode === 'new' ? (
                <div className="field indent">
                  <label htmlFor="new-table">Name of the new table</label>
                  <input id="new-table" value={newName} onChange={(e) => setNewName(e.target.value)} required maxLength={255} />
                </div>
              ) : null}
              <label className="choice">
                <input type="radio" name="mode" value="existing" checked={mode === 'existing'} onChange={() => setMode('existing')} disabled={!baseId} />
                <span>An existing table</span>
              </label>
              {mode === 'existing' ? (
                <div className="field indent">
                  <label htmlFor="existing-table">Table</label>
                  <select id="existing-table" value={tableId} onChange={(e) => setTableId(e.target.value)} required>
                    <option value="">Choose a table…</option>
                    {(schema.data ?? []).map((t) => (
                      <option key={t.id} value={t.id}>
                        {t.name}
                      </option>
                    ))}
                  </select>
                  {schema.isError ? <ProblemAlert problem={asProblem(schema.error)} /> : null}
                </div>
              ) : null}
              {fieldError(problem, 'input.table') ? <div className="field-error">{fieldError(problem, 'input.table')}</div> : null}
            </div>
          </fieldset>

          <fieldset className="card stack plain-fieldset">
            <legend className="legend">2. Columns → fields</legend>
            <p className="small muted">
              {mode === 'existing'
                ? 'Columns are matched to fields of the same name; change any of them, or skip a column. A name the table does not have becomes a new field.'
                : 'Each column becomes a field of the new table, typed from the file; rename it, or clear the name to skip the column.'}
            </p>
            {mode === 'existing' && !table ? (
              <p className="small">Choose a table first.</p>
            ) : (
              <MappingTable preview={preview} table={table} mapping={mapping} onChange={(c, v) => setMapping((m) => ({ ...m, [c]: v }))} typecast={typecast} problem={problem} />
            )}
            <label className="checkbox">
              <input type="checkbox" checked={typecast} onChange={(e) => setTypecast(e.target.checked)} />
              Let Airtable convert values to the fields' types (typecast) — adds missing select options, parses numbers and dates from text
            </label>
          </fieldset>

          <div className="stack">
            {tooMany ? (
              <Alert tone="danger" role="alert" title="Too many rows for one import">
                <p>
                  This file has {preview.rowCount.toLocaleString()} rows; one import writes at most {MAX_IMPORT_ROWS.toLocaleString()}. Split the file and import each part.
                </p>
              </Alert>
            ) : null}
            {blocking.length > 0 ? (
              <Alert tone="danger" role="alert" title={`${blocking.length} ${blocking.length === 1 ? 'column does' : 'columns do'} not fit ${blocking.length === 1 ? 'its field' : 'their fields'}`}>
                <ul>
                  {blocking.map((b) => (
                    <li key={b.column}>
                      <strong>{b.column}</strong>: {b.fit.level !== 'ok' ? b.fit.message : ''}
                    </li>
                  ))}
                </ul>
                <p>Map them to other fields, skip them, or turn on typecast where it says so.</p>
              </Alert>
            ) : null}
            {problem ? <ProblemAlert problem={problem} title="The import did not start" /> : null}
            <div className="row">
              <button type="submit" className="btn btn-primary" disabled={start.isPending || !baseId || mapped === 0 || blocking.length > 0 || tooMany || (mode === 'existing' && !tableId)}>
                {start.isPending ? 'Starting…' : `Import ${preview.rowCount.toLocaleString()} rows`}
              </button>
              <span className="small muted" role="status">
                {mapped} of {preview.columns.length} columns mapped
              </span>
            </div>
          </div>
        </form>
      ) : null}
    </div>
  );
}
