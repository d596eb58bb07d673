// `/bases/:baseId/tables/:tableId`: a table's records. Sort, search and filter live in the URL
// (back/forward and shared links keep them); the grid loads pages as it scrolls.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, Outlet, useNavigate, useParams, useSearchParams } from 'react-router';
import { asProblem, type Problem } from '../../api/problem';
import { atLeast, type AirtableRecord, type Field } from '../../api/types';
import { useMe } from '../../app/auth';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { Breadcrumbs } from '../../ui/Breadcrumbs';
import { Button } from '../../ui/Button';
import { ConfirmDialog } from '../../ui/Dialog';
import { EmptyState, Skeleton, Spinner } from '../../ui/feedback';
import { useToast } from '../../ui/Toast';
import { useTitle } from '../../ui/useTitle';
import { idempotencyKey, useBases, useDeleteRecords, useRecords, useSchema, useUpdateCell, type ListQuery } from './api';
import { recordTitle } from './cells';
import { FieldPicker } from './FieldPicker';
import { buildFormula, decodeFilter, encodeFilter, type FilterSpec } from './filter';
import { FilterBuilder } from './FilterBuilder';
import { Grid } from './Grid';
import { formatSort, nextSort, parseSort } from './sort';
import { NewRecordDialog } from './NewRecordDialog';
import type { RecordsOutlet } from './RecordDrawer';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = window.setTimeout(() => setV(value), ms);
    return () => window.clearTimeout(t);
  }, [value, ms]);
  return v;
}

function timeOf(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

const EMPTY_FIELDS: Field[] = [];

export function Component() {
  const { baseId = '', tableId = '' } = useParams();
  const me = useMe();
  const canEdit = atLeast(me.role, 'member');
  const navigate = useNavigate();
  const toast = useToast();
  const [params, setParams] = useSearchParams();
  const bases = useBases();
  const schema = useSchema(baseId);
  const table = schema.data?.find((t) => t.id === tableId || t.name === tableId);
  // A table made since the schema was read (an import, the chat): read the schema again once.
  const reread = useRef(false);
  useEffect(() => {
    if (schema.data && !table && !schema.isFetching && !reread.current) {
      reread.current = true;
      void schema.refetch();
    }
  }, [schema.data, table, schema.isFetching]);
  const baseName = bases.data?.find((b) => b.id === baseId)?.name ?? baseId;
  useTitle(table ? `${table.name} · ${baseName}` : 'Records');

  // ---- list state from the URL
  const sort = useMemo(() => parseSort(params.get('sort')), [params]);
  const filter = useMemo(() => decodeFilter(params.get('filter')), [params]);
  const urlSearch = params.get('q') ?? '';
  const [searchText, setSearchText] = useState(urlSearch);
  const debounced = useDebounced(searchText, 300);
  // The box follows the URL when it changes from outside (back/forward), not when it echoes what
  // was just typed (which may already be longer).
  const written = useRef(urlSearch);
  useEffect(() => {
    if (urlSearch !== written.current) {
      written.current = urlSearch;
      setSearchText(urlSearch);
    }
  }, [urlSearch]);
  useEffect(() => {
    if (debounced === urlSearch) return;
    written.current = debounced;
    setParams(
      (p) => {
        const n = new URLSearchParams(p);
        if (debounced) n.set('q', debounced);
        else n.delete('q');
        return n;
      },
      { replace: true },
    );
  }, [debounced]);

  const fields = table?.fields ?? EMPTY_FIELDS;
  const types = useMemo(() => Object.fromEntries(fields.map((f) => [f.name, f.type])), [fields]);
  const query: ListQuery = useMemo(() => ({ sort: formatSort(sort), filterByFormula: buildFormula(filter, types), search: urlSearch.trim() }), [sort, filter, types, urlSearch]);

  const bypass = useRef(false);
  const records = useRecords(baseId, table?.id ?? tableId, query, bypass);
  const all = useMemo(() => records.data?.pages.flatMap((p) => p.records) ?? [], [records.data]);
  const hasMore = Boolean(records.hasNextPage);
  const total = records.data && !hasMore ? all.length : null;
  const latest = records.data?.pages.reduce<(typeof records.data.pages)[number] | undefined>((a, p) => (!a || p.fetchedAt > a.fetchedAt ? p : a), undefined);

  // ---- visible fields (the picker)
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const columnVisibility = useMemo(() => Object.fromEntries([...hidden].map((id) => [id, false])), [hidden]);

  // ---- selection
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => setSelected(new Set()), [query, tableId]);
  const onToggleSelect = useCallback((id: string) => {
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  }, []);
  const onToggleAll = useCallback(() => {
    setSelected((s) => (all.length > 0 && all.every((r) => s.has(r.id)) ? new Set() : new Set(all.map((r) => r.id))));
  }, [all]);

  // ---- writes
  const update = useUpdateCell(baseId, table?.id ?? tableId);
  const [editProblem, setEditProblem] = useState<{ what: string; problem: Problem } | null>(null);
  const primary = fields.find((f) => f.id === table?.primaryFieldId);
  const onCommit = useCallback(
    (record: AirtableRecord, field: Field, value: unknown) => {
      setEditProblem(null);
      const what = `${field.name} of “${recordTitle(record.fields, primary, record.id)}”`;
      update.mutate(
        { edit: { record, field: field.name, value }, key: idempotencyKey() },
        { onError: (err) => setEditProblem({ what, problem: asProblem(err) }) },
      );
    },
    [update.mutate, primary],
  );
  const onEditError = useCallback((message: string) => setEditProblem({ what: 'that value', problem: { title: 'Not saved', status: 422, detail: message } }), []);

  const [creating, setCreating] = useState(false);
  const del = useDeleteRecords(baseId, table?.id ?? tableId);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteKey, setDeleteKey] = useState(idempotencyKey);
  const [deleteProblem, setDeleteProblem] = useState<Problem | null>(null);

  const onOpen = useCallback((id: string) => navigate({ pathname: `records/${id}`, search: params.toString() }), [navigate, params]);
  const { fetchNextPage } = records;
  const onLoadMore = useCallback(() => void fetchNextPage({ cancelRefetch: false }), [fetchNextPage]);

  const setParam = (name: string, value: string) =>
    setParams((p) => {
      const n = new URLSearchParams(p);
      if (value) n.set(name, value);
      else n.delete(name);
      return n;
    });

  const outlet: RecordsOutlet | null = table ? { baseId, table, findRecord: (id) => all.find((r) => r.id === id) } : null;

  // ---------------------------------------------------------------- render
  if (schema.isError) {
    return (
      <div className="page">
        <ProblemAlert problem={asProblem(schema.error)} />
      </div>
    );
  }
  if (schema.data && !table && (!reread.current || schema.isFetching)) {
    return (
      <div className="page">
        <Skeleton height={24} width={200} />
      </div>
    );
  }
  if (schema.data && !table) {
    return (
      <div className="page">
        <EmptyState title="Table not found" icon="search" action={<Link className="btn" to={`/bases/${baseId}`}>Back to the base</Link>}>
          This base has no table <code>{tableId}</code>.
        </EmptyState>
      </div>
    );
  }

  const filterCount = filter.conditions.length;
  const statusText = records.isPending
    ? 'Loading records…'
    : total !== null
      ? `${total.toLocaleString()} ${total === 1 ? 'record' : 'records'}`
      : `${all.length.toLocaleString()} loaded · more as you scroll`;

  return (
    <div className="records-page">
      <div className="records-top">
        <Breadcrumbs trail={[{ to: '/bases', label: 'Bases' }, { to: `/bases/${baseId}`, label: baseName }]} current={table?.name ?? '…'} />
        <div className="row-between">
          <h1 className="records-title">{table?.name ?? <Skeleton width={160} height={24} />}</h1>
          <div className="row small">
            <span role="status" className="record-count">
              {statusText}
            </span>
            {latest ? (
              <span className={`badge ${latest.cache === 'hit' ? 'badge-warning' : 'badge-success'}`} title="x-cache of the last page read">
                {latest.cache === 'hit' ? 'From cache' : 'Live from Airtable'} · {timeOf(latest.fetchedAt)}
              </span>
            ) : null}
            <Button
              size="sm"
              aria-label="Refresh from Airtable"
              isDisabled={records.isFetching}
              onPress={() => {
                bypass.current = true;
                void records.refetch({ cancelRefetch: true });
              }}
            >
              {records.isFetching && !records.isFetchingNextPage ? <Spinner /> : <span aria-hidden="true">⟳</span>} Refresh
            </Button>
          </div>
        </div>
        <div className="toolbar" role="toolbar" aria-label="Records tools">
          <div className="search-box">
            <label htmlFor="record-search" className="visually-hidden">
              Search records
            </label>
            <input
              id="record-search"
              className="input"
              type="search"
              placeholder="Search text fields…"
              value={searchText}
              onChange={(e) => setSearchText(e.target.value)}
              onKeyDown={(e) => e.key === 'Enter' && setParam('q', searchText)}
            />
          </div>
          {table ? (
            <FilterBuilder
              fields={fields}
              value={filter}
              onApply={(spec: FilterSpec) => setParam('filter', encodeFilter({ ...spec, conditions: spec.conditions.filter((c) => c.field) }))}
            />
          ) : null}
          {table ? <FieldPicker fields={fields} hidden={hidden} primaryFieldId={table.primaryFieldId} onChange={setHidden} /> : null}
          {sort.length > 0 ? (
            <Button size="sm" variant="ghost" onPress={() => setParam('sort', '')}>
              Clear sort
            </Button>
          ) : null}
          {canEdit && table ? (
            <div className="toolbar-end row">
              {selected.size > 0 ? (
                <Button
                  variant="danger"
                  onPress={() => {
                    setDeleteProblem(null);
                    setDeleteKey(idempotencyKey());
                    setConfirmDelete(true);
                  }}
                >
                  Delete {selected.size} selected
                </Button>
              ) : null}
              <Button variant="primary" onPress={() => setCreating(true)}>
                + New record
              </Button>
            </div>
          ) : null}
        </div>
        {!canEdit ? (
          <p className="small muted read-only-note">
            You have read-only access (viewer): ask an admin for the member role to edit records.
          </p>
        ) : null}
        {editProblem ? (
          <ProblemAlert
            problem={editProblem.problem}
            title={`Could not save ${editProblem.what} — the change was undone`}
            action={
              <Button size="sm" variant="ghost" aria-label="Dismiss" onPress={() => setEditProblem(null)}>
                ✕
              </Button>
            }
          />
        ) : null}
        {filterCount > 0 && query.filterByFormula ? (
          <p className="small muted">
            Filtered by <code className="formula-inline">{query.filterByFormula}</code>{' '}
            <button type="button" className="link-button" onClick={() => setParam('filter', '')}>
              Clear filter
            </button>
          </p>
        ) : null}
      </div>

      {records.isError ? (
        <div className="records-error">
          <ProblemAlert problem={asProblem(records.error)} action={<Button size="sm" onPress={() => void records.refetch()}>Try again</Button>} />
        </div>
      ) : null}
      {records.isFetchNextPageError ? <Alert tone="danger" role="alert" title="Could not load more records">{asProblem(records.error).detail}</Alert> : null}

      {!table || records.isPending ? (
        <div className="grid-loading" role="status" aria-label="Loading records">
          {Array.from({ length: 8 }, (_, i) => (
            <Skeleton key={i} height={22} />
          ))}
        </div>
      ) : records.isError && !records.data ? null : (
        <Grid
          label={`${table.name} records`}
          fields={fields}
          columnVisibility={columnVisibility}
          primaryFieldId={table.primaryFieldId}
          records={all}
          total={total}
          hasMore={hasMore}
          loadingMore={records.isFetchingNextPage}
          onLoadMore={onLoadMore}
          sort={sort}
          onSort={(field, multi) => setParam('sort', formatSort(nextSort(sort, field, multi)))}
          canEdit={canEdit}
          selected={selected}
          onToggleSelect={onToggleSelect}
          onToggleAll={onToggleAll}
          onOpen={onOpen}
          onCommit={onCommit}
          onEditError={onEditError}
          emptyMessage={query.search || query.filterByFormula ? 'No records match the search or filter.' : 'This table has no records yet.'}
        />
      )}

      {table && canEdit ? (
        <NewRecordDialog
          baseId={baseId}
          tableId={table.id}
          tableName={table.name}
          fields={fields}
          isOpen={creating}
          onOpenChange={setCreating}
          onCreated={(r) => toast(`Created “${recordTitle(r.fields, primary, r.id)}” — shown at the top`)}
        />
      ) : null}
      <ConfirmDialog
        isOpen={confirmDelete}
        onOpenChange={setConfirmDelete}
        title={`Delete ${selected.size} ${selected.size === 1 ? 'record' : 'records'}?`}
        confirmLabel={`Delete ${selected.size} ${selected.size === 1 ? 'record' : 'records'}`}
        isPending={del.isPending}
        onConfirm={() => {
          const ids = [...selected];
          del.mutate(
            { ids, key: deleteKey },
            {
              onSuccess: () => {
                setConfirmDelete(false);
                setSelected(new Set());
                toast(`Deleted ${ids.length} ${ids.length === 1 ? 'record' : 'records'}`);
              },
              onError: (err) => setDeleteProblem(asProblem(err)),
            },
          );
        }}
      >
        <div className="stack">
          <p>They are deleted in Airtable too. Airtable keeps deleted records in the base's trash for a while.</p>
          <ul className="small">
            {all
              .filter((r) => selected.has(r.id))
              .slice(0, 5)
              .map((r) => (
                <li key={r.id}>{recordTitle(r.fields, primary, r.id)}</li>
              ))}
            {selected.size > 5 ? <li>… and {selected.size - 5} more</li> : null}
          </ul>
          {deleteProblem ? <ProblemAlert problem={deleteProblem} /> : null}
        </div>
      </ConfirmDialog>
      {outlet ? <Outlet context={outlet} /> : null}
    </div>
  );
}
