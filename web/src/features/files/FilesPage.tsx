// `/files`: upload (drag and drop or the picker, straight to S3 with a real progress bar, speed
// and Cancel) and the workspace's files with their live status.
import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import { Link } from 'react-router';
import { asProblem, type Problem } from '../../api/problem';
import { atLeast, type FileView } from '../../api/types';
import { useMe } from '../../app/auth';
import { ProblemAlert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { ConfirmMutation } from '../../ui/Dialog';
import { EmptyState, Skeleton } from '../../ui/feedback';
import { bytes, dateTime } from '../../ui/format';
import { Icon } from '../../ui/Icon';
import { ListTable } from '../../ui/ListTable';
import { ProgressBar } from '../../ui/Progress';
import { StatusBadge } from '../../ui/StatusBadge';
import { useToast } from '../../ui/Toast';
import { useTitle } from '../../ui/useTitle';
import { ACCEPT, MAX_BYTES, uploadFile, useAfterUpload, useDeleteFile, useFiles } from './api';

interface Upload {
  key: number;
  name: string;
  size: number;
  loaded: number;
  /** Bytes per second, smoothed. */
  speed: number;
  state: 'uploading' | 'done' | 'failed' | 'cancelled';
  problem: Problem | null;
  controller: AbortController;
}

let uploadCounter = 0;

function UploadRow({ upload, onCancel, onDismiss }: { upload: Upload; onCancel: () => void; onDismiss: () => void }) {
  const pct = upload.size > 0 ? Math.round((upload.loaded / upload.size) * 100) : 0;
  const text =
    upload.state === 'uploading'
      ? `${bytes(upload.loaded)} of ${bytes(upload.size)}${upload.speed > 0 ? ` · ${bytes(upload.speed)}/s` : ''}`
      : upload.state === 'done'
        ? `${bytes(upload.size)} uploaded — processing starts`
        : upload.state === 'cancelled'
          ? 'Cancelled'
          : 'Failed';
  return (
    <li className="upload card card-tight" data-state={upload.state}>
      <div className="row-between">
        <span className="upload-name">{upload.name}</span>
        {upload.state === 'uploading' ? (
          <Button size="sm" onPress={onCancel} aria-label={`Cancel the upload of ${upload.name}`}>
            Cancel
          </Button>
        ) : (
          <Button size="sm" variant="ghost" onPress={onDismiss} aria-label={`Dismiss ${upload.name}`}>
            Dismiss
          </Button>
        )}
      </div>
      <ProgressBar label={`Uploading ${upload.name}`} hideLabel value={pct} valueText={`${pct}% · ${text}`} />
      <p className="small muted" aria-hidden="true">
        {pct}% · {text}
      </p>
      {upload.problem ? <ProblemAlert problem={upload.problem} /> : null}
    </li>
  );
}

function DropZone({ onFiles }: { onFiles: (files: File[]) => void }) {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const stop = (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation();
  };
  return (
    <div
      className="dropzone"
      data-over={over || undefined}
      data-testid="dropzone"
      onDragEnter={(e) => {
        stop(e);
        setOver(true);
      }}
      onDragOver={(e) => {
        stop(e);
        e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={(e) => {
        stop(e);
        setOver(false);
      }}
      onDrop={(e) => {
        stop(e);
        setOver(false);
        const files = [...e.dataTransfer.files];
        if (files.length) onFiles(files);
      }}
    >
      <Icon name="upload" size={28} />
      <p>
        <strong>Drop files here</strong> or{' '}
        <label className="link-button" htmlFor="file-picker">
          choose files
        </label>
      </p>
      <input
        ref={input}
        id="file-picker"
        className="visually-hidden"
        type="file"
        multiple
        accept={ACCEPT}
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          if (files.length) onFiles(files);
          e.target.value = '';
        }}
      />
      <p className="small muted">CSV, TSV, JSON, XLSX, TXT, PDF or DOCX, up to 50 MB each. Tables become importable into Airtable; documents give their text.</p>
    </div>
  );
}

function FileRow({ file, canEdit, onDelete }: { file: FileView; canEdit: boolean; onDelete: () => void }) {
  return (
    <tr>
      <td>
        <Link to={`/files/${file.id}`} className="file-link">
          {file.name}
        </Link>
        {file.status === 'failed' && file.error ? <div className="small field-error">{file.error}</div> : null}
      </td>
      <td>{file.kind ? <span className="badge">{file.kind}</span> : <span className="muted">—</span>}</td>
      <td className="nowrap num">{bytes(file.size)}</td>
      <td className="nowrap num">{typeof file.rowCount === 'number' ? file.rowCount.toLocaleString() : file.pages ? `${file.pages} pages` : <span className="muted">—</span>}</td>
      <td>
        <StatusBadge status={file.status} />
      </td>
      <td className="nowrap">{dateTime(file.createdAt)}</td>
      <td className="nowrap">
        {canEdit && file.status === 'processed' && (file.rowCount ?? 0) > 0 ? (
          <Link className="btn btn-sm" to={`/files/${file.id}/import`} aria-label={`Import ${file.name}`}>
            Import
          </Link>
        ) : null}
        {canEdit ? (
          <Button size="sm" variant="ghost" icon onPress={onDelete} aria-label={`Delete ${file.name}`}>
            <Icon name="trash" />
          </Button>
        ) : null}
      </td>
    </tr>
  );
}

export function Component() {
  useTitle('Files');
  const me = useMe();
  const canEdit = atLeast(me.role, 'member');
  const toast = useToast();
  const files = useFiles();
  const afterUpload = useAfterUpload();
  const del = useDeleteFile();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [doomed, setDoomed] = useState<FileView | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  const patch = useCallback((key: number, change: Partial<Upload>) => setUploads((us) => us.map((u) => (u.key === key ? { ...u, ...change } : u))), []);

  // Leaving the page cancels transfers still running (their pending entries are removed).
  const live = useRef(uploads);
  live.current = uploads;
  useEffect(() => () => live.current.forEach((u) => u.state === 'uploading' && u.controller.abort()), []);

  const start = (list: File[]) => {
    for (const file of list) {
      const key = ++uploadCounter;
      const controller = new AbortController();
      if (file.size > MAX_BYTES) {
        setUploads((us) => [...us, { key, name: file.name, size: file.size, loaded: 0, speed: 0, state: 'failed', controller, problem: { title: 'Too large', status: 413, detail: `${file.name} is ${bytes(file.size)}; files up to 50 MB are accepted.` } }]);
        continue;
      }
      setUploads((us) => [...us, { key, name: file.name, size: file.size, loaded: 0, speed: 0, state: 'uploading', problem: null, controller }]);
      let last = { at: performance.now(), loaded: 0 };
      let speed = 0;
      uploadFile(
        file,
        ({ loaded }) => {
          const now = performance.now();
          const dt = (now - last.at) / 1000;
          if (dt > 0.2) {
            const s = (loaded - last.loaded) / dt;
            speed = speed === 0 ? s : speed * 0.6 + s * 0.4;
            last = { at: now, loaded };
          }
          patch(key, { loaded, speed });
        },
        controller.signal,
      )
        .then(() => {
          patch(key, { state: 'done', loaded: file.size });
          void afterUpload();
          toast(`${file.name} uploaded`);
          window.setTimeout(() => setUploads((us) => us.filter((u) => u.key !== key)), 4000);
        })
        .catch((err: unknown) => {
          if (err instanceof DOMException && err.name === 'AbortError') patch(key, { state: 'cancelled' });
          else patch(key, { state: 'failed', problem: asProblem(err) });
        });
    }
  };

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Files</h1>
          <p className="muted">Spreadsheets and documents of this workspace: preview them, import tables into Airtable.</p>
        </div>
        <Link className="btn" to="/jobs?type=import_file">
          Import history
        </Link>
      </div>
      <div className="stack-lg">
        {canEdit ? (
          <section aria-label="Upload files" className="stack">
            <DropZone onFiles={start} />
            {uploads.length > 0 ? (
              <ul className="uploads" aria-label="Uploads">
                {uploads.map((u) => (
                  <UploadRow key={u.key} upload={u} onCancel={() => u.controller.abort()} onDismiss={() => setUploads((us) => us.filter((x) => x.key !== u.key))} />
                ))}
              </ul>
            ) : null}
          </section>
        ) : (
          <p className="small muted read-only-note">You have read-only access (viewer): you can see files and their previews; members upload and import.</p>
        )}
        {problem ? <ProblemAlert problem={problem} /> : null}
        <section aria-labelledby="files-title" className="stack">
          <h2 id="files-title">Files</h2>
          {files.isPending ? (
            <div role="status" aria-label="Loading files" className="stack">
              <Skeleton height={36} />
              <Skeleton height={36} />
            </div>
          ) : null}
          {files.isError ? <ProblemAlert problem={asProblem(files.error)} action={<Button size="sm" onPress={() => void files.refetch()}>Try again</Button>} /> : null}
          {files.data && files.data.length === 0 ? (
            <EmptyState title="No files yet" icon="inbox">
              {canEdit ? 'Drop a spreadsheet above to preview it and import it into Airtable.' : 'Members of this workspace upload files here.'}
            </EmptyState>
          ) : null}
          {files.data && files.data.length > 0 ? (
            <ListTable caption="Files of this workspace, newest first" columns={['Name', 'Kind', 'Size', 'Rows', 'Status', 'Uploaded']} actions>
              {files.data.map((f) => (
                <FileRow key={f.id} file={f} canEdit={canEdit} onDelete={() => setDoomed(f)} />
              ))}
            </ListTable>
          ) : null}
        </section>
      </div>
      <ConfirmMutation
        item={doomed}
        onClose={() => setDoomed(null)}
        title={(f) => `Delete ${f.name}?`}
        confirmLabel="Delete file"
        mutation={del}
        variables={(f) => f.id}
        done={(f) => `${f.name} deleted`}
        onProblem={setProblem}
      >
        <p>The file and what was extracted from it are deleted. Records already imported into Airtable stay.</p>
      </ConfirmMutation>
    </div>
  );
}
