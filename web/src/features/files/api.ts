// Server state of files and imports: the list and each file (polled while the processor works
// on them: there is no push channel), the extracted text, deletes, the upload itself (a
// presigned S3 PUT sent with XMLHttpRequest for its progress events and abort) and the start of
// an import (an import_file saga).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, unwrapWithResponse } from '../../api/client';
import { ApiError, type Problem } from '../../api/problem';
import { isUploadTicket, type FileStatus, type FileView, type Schemas, type UploadTicket } from '../../api/types';
import { reread } from '../../lib/query';

export const fileKeys = {
  all: ['files'] as const,
  file: (id: string) => ['file', id] as const,
  text: (id: string) => ['file', id, 'text'] as const,
};

/** How often a file still being processed is read again. */
export const POLL_MS = 1500;

export function isSettled(status: FileStatus): boolean {
  return status === 'processed' || status === 'failed';
}

export function useFiles() {
  return useQuery({
    queryKey: fileKeys.all,
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/files', { signal }))).files,
    // Live status: read again while any file is on its way.
    refetchInterval: (q) => (q.state.data?.some((f) => !isSettled(f.status)) ? POLL_MS : false),
  });
}

export function useFile(id: string) {
  return useQuery({
    queryKey: fileKeys.file(id),
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/files/{id}', { params: { path: { id } }, signal })),
    refetchInterval: (q) => (q.state.data && !isSettled(q.state.data.status) ? POLL_MS : false),
  });
}

/** The extracted text of a processed file (text/plain). */
export function useFileText(id: string, enabled: boolean) {
  return useQuery({
    queryKey: fileKeys.text(id),
    enabled,
    staleTime: Infinity,
    queryFn: async ({ signal }) =>
      (await unwrapWithResponse(api.GET('/api/v1/files/{id}/content', { params: { path: { id } }, signal, parseAs: 'text' }))).data as unknown as string,
  });
}

export function useDeleteFile() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/files/{id}', { params: { path: { id } } })),
    onSuccess: (_r, id) => {
      qc.setQueryData<FileView[]>(fileKeys.all, (files) => files?.filter((f) => f.id !== id));
      qc.removeQueries({ queryKey: fileKeys.file(id) });
    },
  });
}

// ---------------------------------------------------------------- uploads

/** A content type the API accepts (the document lists them, one variant per file kind). */
type UploadType = Schemas['UploadRequest']['contentType'];

/** The content types the API accepts, by extension (browsers often send none, or another one,
 *  for .tsv and .csv). */
const TYPES: Record<string, UploadType> = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  tab: 'text/tab-separated-values',
  json: 'application/json',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  txt: 'text/plain',
  text: 'text/plain',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

export const ACCEPT = Object.keys(TYPES)
  .map((e) => `.${e}`)
  .join(',');

export const MAX_BYTES = 50 * 1024 * 1024;

export function contentTypeOf(name: string, browserType: string): UploadType {
  const ext = name.includes('.') ? (name.split('.').pop() ?? '').toLowerCase() : '';
  // An extension the API does not take: the browser's type goes as it is, and the API's answer
  // (422, naming what it takes) is what the user sees.
  return TYPES[ext] ?? (browserType as UploadType);
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/** Uploads a file: asks the API for a presigned PUT, then sends the bytes straight to S3 with
 *  exactly the signed Content-Type, reporting progress. Aborting the signal stops the transfer
 *  and deletes the file's pending entry. Resolves to the file's id. */
export async function uploadFile(file: File, onProgress: (p: UploadProgress) => void, signal: AbortSignal): Promise<string> {
  const contentType = contentTypeOf(file.name, file.type);
  const ticket = await unwrap(api.POST('/api/v1/files/upload', { body: { filename: file.name, contentType, size: file.size }, signal }));
  // A JSON request is answered with a ticket (a multipart one, which this never sends, with the file).
  if (!isUploadTicket(ticket)) throw new ApiError({ title: 'Unexpected answer', status: 0, detail: 'The API did not answer with an upload link.' });
  try {
    await put(ticket, file, contentType, onProgress, signal);
  } catch (err) {
    // Nothing arrived: forget the pending entry (best effort).
    void api.DELETE('/api/v1/files/{id}', { params: { path: { id: ticket.fileId } } }).catch(() => undefined);
    throw err;
  }
  return ticket.fileId;
}

function put(ticket: UploadTicket, file: File, contentType: string, onProgress: (p: UploadProgress) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // A Content-Security-Policy that does not list the storage's origin blocks the PUT before it
    // leaves the browser: say so, rather than "network error".
    const target = new URL(ticket.uploadUrl).origin;
    let blocked = false;
    const onViolation = (e: SecurityPolicyViolationEvent) => {
      if (e.blockedURI.startsWith(target)) blocked = true;
    };
    document.addEventListener('securitypolicyviolation', onViolation);
    const done = () => document.removeEventListener('securitypolicyviolation', onViolation);
    xhr.open(ticket.method, ticket.uploadUrl);
    for (const [name, value] of Object.entries(ticket.headers)) {
      // The browser sets Content-Length (and refuses to be told); Content-Type is sent as signed.
      if (name.toLowerCase() !== 'content-length' && name.toLowerCase() !== 'host') xhr.setRequestHeader(name, String(value));
    }
    if (!Object.keys(ticket.headers).some((h) => h.toLowerCase() === 'content-type')) xhr.setRequestHeader('content-type', contentType);
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      done();
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress({ loaded: file.size, total: file.size });
        resolve();
      } else {
        const code = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText)?.[1];
        const message = /<Message>([^<]+)<\/Message>/.exec(xhr.responseText)?.[1];
        const problem: Problem = {
          title: 'Upload refused by storage',
          status: xhr.status,
          detail: `${code ? `${code}: ` : ''}${message ?? `the storage answered ${xhr.status}`}. Try again; if it keeps failing, the upload link may have expired.`,
        };
        reject(new ApiError(problem));
      }
    };
    xhr.onerror = () => {
      // The violation event may follow the error: give it a moment.
      window.setTimeout(() => {
        done();
        reject(
          new ApiError(
            blocked
              ? { title: 'Upload blocked by the page’s security policy', status: 0, code: 'csp', detail: `This site's Content-Security-Policy does not allow connections to the file storage (${target}). Whoever runs this PyAirtable needs to allow it in connect-src.` }
              : { title: 'Network error', status: 0, code: 'network', detail: 'The upload could not reach the storage. Check your connection and try again.' },
          ),
        );
      }, 50);
    };
    xhr.onabort = () => {
      done();
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
    };
    if (signal.aborted) {
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
      return;
    }
    signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** After an upload: the list shows the new file (then polls it). */
export function useAfterUpload() {
  const qc = useQueryClient();
  return () => reread(qc, fileKeys.all);
}

// ---------------------------------------------------------------- imports

export interface ImportBody {
  baseId: string;
  table?: string;
  createTable?: { name: string };
  mapping: Record<string, string>;
  typecast: boolean;
}

export function useStartImport(fileId: string) {
  return useMutation({
    mutationFn: (body: ImportBody) =>
      unwrap(
        api.POST('/api/v1/files/{id}/import', {
          params: { path: { id: fileId } },
          body: { baseId: body.baseId, mapping: body.mapping, typecast: body.typecast, ...(body.table ? { table: body.table } : {}), ...(body.createTable ? { createTable: body.createTable } : {}) },
        }),
      ),
  });
}
