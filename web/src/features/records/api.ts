// Server state of the data pages: the Airtable connection, bases, schemas and record pages, and
// the record writes (each with an Idempotency-Key made once per user action).
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData, type QueryKey } from '@tanstack/react-query';
import { api, idempotencyKey, unwrap, unwrapWithResponse } from '../../api/client';
import type { AirtableRecord, TableSchema } from '../../api/types';

export const PAGE_SIZE = 100;

/** A record in Airtable itself. */
export function airtableUrl(baseId: string, tableId: string, recordId: string): string {
  return `https://airtable.com/${baseId}/${tableId}/${recordId}`;
}

export const recordKeys = {
  connection: ['connection'] as const,
  bases: ['bases'] as const,
  schema: (baseId: string) => ['schema', baseId] as const,
  recordsOf: (baseId: string, tableId: string) => ['records', baseId, tableId] as const,
  records: (baseId: string, tableId: string, q: ListQuery) => ['records', baseId, tableId, q] as const,
  record: (baseId: string, tableId: string, recordId: string) => ['record', baseId, tableId, recordId] as const,
};

export function useConnection() {
  return useQuery({
    queryKey: recordKeys.connection,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/connections/airtable', { signal })),
  });
}

export function useBases(enabled = true) {
  return useQuery({
    queryKey: recordKeys.bases,
    enabled,
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/bases', { signal }))).bases,
    staleTime: 5 * 60_000,
  });
}

/** The tables of a base (one cache entry per base, shared by the grid, the palette and the
 *  workflow editor). */
export function schemaQuery(baseId: string) {
  return {
    queryKey: recordKeys.schema(baseId),
    queryFn: async ({ signal }: { signal: AbortSignal }) =>
      // Field options are Airtable's own (the document: an object); FieldOptions names the ones the grid reads.
      (await unwrap(api.GET('/api/v1/tables', { params: { query: { baseId } }, signal }))).tables as TableSchema[],
    staleTime: 5 * 60_000,
  };
}

export function useSchema(baseId: string | undefined) {
  return useQuery({ ...schemaQuery(baseId ?? ''), enabled: Boolean(baseId) });
}

export interface ListQuery {
  /** `Name,-Score` */
  sort: string;
  filterByFormula: string;
  search: string;
}

export interface PageResult {
  records: AirtableRecord[];
  cursor: string | null;
  /** The API's x-cache header: hit (served from the platform's cache) or miss (from Airtable). */
  cache: 'hit' | 'miss' | null;
  fetchedAt: number;
}

export type RecordPages = InfiniteData<PageResult, string | null>;

/** Pages of records, fetched as the grid scrolls. `bypass()` makes the next first page skip the
 *  platform's cache (Cache-Control: no-cache). */
export function useRecords(baseId: string, tableId: string, q: ListQuery, bypass: { current: boolean }) {
  return useInfiniteQuery({
    queryKey: recordKeys.records(baseId, tableId, q),
    initialPageParam: null as string | null,
    getNextPageParam: (last: PageResult) => last.cursor,
    staleTime: 60_000,
    queryFn: async ({ pageParam, signal }): Promise<PageResult> => {
      const query: { baseId: string; table: string; pageSize: number; cursor?: string; sort?: string; filterByFormula?: string; search?: string } = {
        baseId,
        table: tableId,
        pageSize: PAGE_SIZE,
      };
      if (pageParam) query.cursor = pageParam;
      if (q.sort) query.sort = q.sort;
      if (q.filterByFormula) query.filterByFormula = q.filterByFormula;
      if (q.search) query.search = q.search;
      const noCache = bypass.current && !pageParam;
      if (noCache) bypass.current = false;
      const { data, response } = await unwrapWithResponse(
        api.GET('/api/v1/records', { params: { query }, signal, ...(noCache ? { headers: { 'cache-control': 'no-cache' } } : {}) }),
      );
      const cache = response.headers.get('x-cache');
      return {
        records: data.records,
        cursor: data.cursor ?? null,
        cache: cache === 'hit' || cache === 'miss' ? cache : null,
        fetchedAt: Date.now(),
      };
    },
  });
}

export function useRecord(baseId: string, tableId: string, recordId: string, initial: AirtableRecord | undefined) {
  return useQuery({
    queryKey: recordKeys.record(baseId, tableId, recordId),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET('/api/v1/records/{recordId}', { params: { path: { recordId }, query: { baseId, table: tableId } }, signal }),
      ),
    ...(initial ? { initialData: initial, initialDataUpdatedAt: 0 } : {}),
  });
}

/** Applies `fn` to every loaded page of every list of this table (any sort, filter, search). */
function updatePages(qc: ReturnType<typeof useQueryClient>, baseId: string, tableId: string, fn: (records: AirtableRecord[], pageIndex: number) => AirtableRecord[]) {
  qc.setQueriesData<RecordPages>({ queryKey: recordKeys.recordsOf(baseId, tableId) }, (data) =>
    data ? { ...data, pages: data.pages.map((p, i) => ({ ...p, records: fn(p.records, i) })) } : data,
  );
}

export interface CellEdit {
  record: AirtableRecord;
  field: string;
  value: unknown;
}

/** An inline edit: shown at once, rolled back if the API refuses it. */
export function useUpdateCell(baseId: string, tableId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ edit, key }: { edit: CellEdit; key: string }) =>
      unwrap(
        api.PATCH('/api/v1/records/{recordId}', {
          params: { path: { recordId: edit.record.id } },
          body: { baseId, table: tableId, fields: { [edit.field]: edit.value }, typecast: true },
          headers: { 'idempotency-key': key },
        }),
      ),
    onMutate: async ({ edit }) => {
      await qc.cancelQueries({ queryKey: recordKeys.recordsOf(baseId, tableId) });
      const snapshot: [QueryKey, RecordPages | undefined][] = qc.getQueriesData<RecordPages>({ queryKey: recordKeys.recordsOf(baseId, tableId) });
      updatePages(qc, baseId, tableId, (records) =>
        records.map((r) => (r.id === edit.record.id ? { ...r, fields: withField(r.fields, edit.field, edit.value) } : r)),
      );
      return { snapshot };
    },
    onError: (_err, _vars, ctx) => {
      for (const [key, data] of ctx?.snapshot ?? []) qc.setQueryData(key, data);
    },
    onSuccess: (saved) => {
      if (!saved?.id) return;
      updatePages(qc, baseId, tableId, (records) => records.map((r) => (r.id === saved.id ? saved : r)));
      qc.setQueryData(recordKeys.record(baseId, tableId, saved.id), saved);
    },
  });
}

function withField(fields: Record<string, unknown>, name: string, value: unknown): Record<string, unknown> {
  const next = { ...fields };
  if (value === null || value === '' || value === false || (Array.isArray(value) && value.length === 0)) delete next[name];
  else next[name] = value;
  return next;
}

export function useCreateRecord(baseId: string, tableId: string) {
  const qc = useQueryClient();
  return useMutation({
    // RecordsWritten (201; an upsert's 200 has the same shape).
    mutationFn: ({ fields, key }: { fields: Record<string, unknown>; key: string }) =>
      unwrap(
        api.POST('/api/v1/records', {
          body: { baseId, table: tableId, records: [{ fields }], typecast: true },
          headers: { 'idempotency-key': key },
        }),
      ),
    onSuccess: (res) => {
      const created = res.records;
      // Shown at the top of the loaded rows (the list's own order places it on the next refresh).
      updatePages(qc, baseId, tableId, (records, i) => (i === 0 ? [...created, ...records.filter((r) => !created.some((c) => c.id === r.id))] : records));
    },
  });
}

export function useDeleteRecords(baseId: string, tableId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ ids, key }: { ids: string[]; key: string }) =>
      unwrap(
        api.DELETE('/api/v1/records', { params: { query: { baseId, table: tableId, ids: ids.join(',') } }, headers: { 'idempotency-key': key } }),
      ),
    onSuccess: (_res, { ids }) => {
      const gone = new Set(ids);
      updatePages(qc, baseId, tableId, (records) => records.filter((r) => !gone.has(r.id)));
    },
  });
}

export { idempotencyKey };
