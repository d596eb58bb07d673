// `/files/:fileId`: one file — its status as the processor works on it, why it failed, and what
// it holds: the first rows with the type inferred for each column, or the extracted text.
import { Link, useParams } from 'react-router';
import { atLeast, type FilePreview } from '../../api/types';
import { useMe } from '../../app/auth';
import { Alert } from '../../ui/Alert';
import { Breadcrumbs } from '../../ui/Breadcrumbs';
import { QueryState } from '../../ui/feedback';
import { bytes, dateTime } from '../../ui/format';
import { ProgressBar } from '../../ui/Progress';
import { StatusBadge } from '../../ui/StatusBadge';
import { useTitle } from '../../ui/useTitle';
import { useFile, useFileText } from './api';

const TEXT_KINDS = new Set(['txt', 'pdf', 'docx']);
/** The extracted text shown in the page (the rest is one click away in the API). */
const TEXT_SHOWN = 20_000;

export function PreviewTable({ preview, caption }: { preview: FilePreview; caption: string }) {
  return (
    <div className="table-wrap preview-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table className="list preview">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              <span className="visually-hidden">Row</span>#
            </th>
            {preview.columns.map((c) => (
              <th scope="col" key={c.name}>
                <span className="col-name">{c.name}</span> <span className="badge type-badge" data-type={c.type}>{c.type}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((row, i) => (
            <tr key={i}>
              <td className="num muted">{i + 1}</td>
              {preview.columns.map((c, j) => {
                const v = row[j];
                return <td key={c.name}>{v === null || v === undefined || v === '' ? <span className="muted">—</span> : typeof v === 'string' ? v : JSON.stringify(v)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Component() {
  const { fileId = '' } = useParams();
  const me = useMe();
  const file = useFile(fileId);
  const f = file.data;
  useTitle(f ? f.name : 'File');
  const isText = Boolean(f && f.status === 'processed' && (TEXT_KINDS.has(f.kind ?? '') || !f.preview?.columns.length));
  const text = useFileText(fileId, isText);

  return (
    <div className="page">
      <Breadcrumbs trail={[{ to: '/files', label: 'Files' }]} current={f?.name ?? '…'} />
      <QueryState query={file} label="Loading the file…" />
      {f ? (
        <div className="stack-lg">
          <div className="page-header">
            <div>
              <h1 className="break">{f.name}</h1>
              <p className="muted">
                {f.kind ? `${f.kind.toUpperCase()} · ` : ''}
                {bytes(f.size)} · uploaded {dateTime(f.createdAt)}
              </p>
            </div>
            <div className="row">
              <span role="status">
                <StatusBadge status={f.status} />
              </span>
              {atLeast(me.role, 'member') && f.status === 'processed' && (f.preview?.rowCount ?? 0) > 0 ? (
                <Link className="btn btn-primary" to={`/files/${f.id}/import`}>
                  Import into Airtable
                </Link>
              ) : null}
            </div>
          </div>
          {f.status === 'pending' ? (
            <Alert tone="info" title="Waiting for the upload">
              <p>The upload link was handed out; the bytes have not arrived. If the upload was cancelled or failed, delete this file and upload it again.</p>
            </Alert>
          ) : null}
          {f.status === 'uploaded' || f.status === 'processing' ? (
            <div className="card stack">
              <ProgressBar label={f.status === 'uploaded' ? 'Queued for processing' : 'Reading the file'} value={null} valueText={f.status === 'uploaded' ? 'queued' : 'processing'} />
              <p className="small muted">Types are inferred from every row, so a large file takes a little while. This page updates by itself.</p>
            </div>
          ) : null}
          {f.status === 'failed' ? (
            <Alert tone="danger" role="alert" title="The file could not be processed">
              <p>{f.error ?? 'The processor gave no reason.'}</p>
            </Alert>
          ) : null}
          {f.status === 'processed' && f.preview && f.preview.columns.length > 0 ? (
            <section className="stack" aria-labelledby="preview-title">
              <div className="row-between">
                <h2 id="preview-title">Preview</h2>
                <p className="small muted">
                  First {f.preview.rows.length.toLocaleString()} of {f.preview.rowCount.toLocaleString()} rows · {f.preview.columns.length} columns, types inferred from every row
                </p>
              </div>
              <PreviewTable preview={f.preview} caption={`First rows of ${f.name}`} />
            </section>
          ) : null}
          {isText ? (
            <section className="stack" aria-labelledby="text-title">
              <div className="row-between">
                <h2 id="text-title">Extracted text</h2>
                <p className="small muted">
                  {typeof f.textChars === 'number' ? `${f.textChars.toLocaleString()} characters` : ''}
                  {f.pages ? ` · ${f.pages} pages` : ''}
                </p>
              </div>
              <QueryState query={text} label="Loading the text…" />
              {text.data !== undefined ? (
                <>
                  <pre className="code-block extracted-text" tabIndex={0} role="region" aria-label={`Text of ${f.name}`}>
                    {text.data.length > TEXT_SHOWN ? `${text.data.slice(0, TEXT_SHOWN)}…` : text.data || '(no text found)'}
                  </pre>
                  {text.data.length > TEXT_SHOWN ? <p className="small muted">The first {TEXT_SHOWN.toLocaleString()} characters are shown.</p> : null}
                </>
              ) : null}
            </section>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
