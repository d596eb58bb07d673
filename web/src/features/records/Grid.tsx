// The records grid: the ARIA grid pattern (role=grid, aria-rowcount/-colcount, aria-rowindex/
// -colindex, one tab stop with arrow-key navigation, Enter/F2 to edit, Escape to cancel, Tab to
// commit and move) over TanStack Table's column model, with TanStack Virtual rendering only the
// rows and columns in view — a 10,000-record table keeps a few dozen rows in the DOM.
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type FocusEvent, type KeyboardEvent, type MouseEvent } from 'react';
import { createColumnHelper, getCoreRowModel, useReactTable, type Column, type VisibilityState } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { AirtableRecord, Field } from '../../api/types';
import { CellValue, columnWidth, editText, isEditable, isNumeric, parseEdit, recordTitle } from './cells';
import type { SortItem } from './sort';

export type { SortItem };

export const ROW_H = 36;
const HEADER_H = 40;
const OPEN_W = 64;
const SELECT_W = 44;


export interface GridProps {
  label: string;
  fields: Field[];
  columnVisibility: VisibilityState;
  primaryFieldId: string;
  records: AirtableRecord[];
  /** Known once the last page arrived. */
  total: number | null;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  sort: SortItem[];
  onSort: (field: string, multi: boolean) => void;
  canEdit: boolean;
  selected: ReadonlySet<string>;
  onToggleSelect: (id: string) => void;
  onToggleAll: () => void;
  onOpen: (recordId: string) => void;
  onCommit: (record: AirtableRecord, field: Field, value: unknown) => void;
  onEditError: (message: string) => void;
  emptyMessage: string;
}

interface Pos {
  row: number; // 0: the header row; n: records[n - 1]
  col: number; // 0..utility-1: utility columns; then the visible fields
}

const helper = createColumnHelper<AirtableRecord>();

function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => (v === undefined || v === '' || v === false ? null : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

// ---------------------------------------------------------------- the inline editor

interface EditorProps {
  field: Field;
  initial: string;
  onDone: (how: { commit: boolean; text: string; move?: 'next' | 'prev' }) => void;
}

function CellEditor({ field, initial, onDone }: EditorProps) {
  const [text, setText] = useState(initial);
  const finished = useRef(false);
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement & HTMLSelectElement>(null);
  useEffect(() => {
    const el: HTMLElement | null = ref.current;
    if (!el) return;
    el.focus();
    if (el instanceof HTMLInputElement && el.type === 'text') el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  const finish = (how: { commit: boolean; move?: 'next' | 'prev' }, value = text) => {
    if (finished.current) return;
    finished.current = true;
    onDone({ ...how, text: value });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    e.stopPropagation();
    if (e.key === 'Escape') {
      e.preventDefault();
      finish({ commit: false });
    } else if (e.key === 'Enter' && !(field.type === 'multilineText' && e.shiftKey)) {
      e.preventDefault();
      finish({ commit: true });
    } else if (e.key === 'Tab') {
      e.preventDefault();
      finish({ commit: true, move: e.shiftKey ? 'prev' : 'next' });
    }
  };
  const common = {
    ref,
    className: 'cell-editor',
    'aria-label': `Edit ${field.name}`,
    onKeyDown,
    onBlur: () => finish({ commit: true }),
  };
  if (field.type === 'singleSelect') {
    const choices = field.options?.choices ?? [];
    return (
      <select {...common} value={text} onChange={(e) => setText(e.target.value)}>
        <option value="">(empty)</option>
        {choices.map((c) => (
          <option key={c.id ?? c.name} value={c.name}>
            {c.name}
          </option>
        ))}
        {text && !choices.some((c) => c.name === text) ? <option value={text}>{text}</option> : null}
      </select>
    );
  }
  if (field.type === 'multilineText') {
    return <textarea {...common} value={text} rows={3} onChange={(e) => setText(e.target.value)} />;
  }
  const type = field.type === 'date' ? 'date' : field.type === 'email' ? 'email' : field.type === 'url' ? 'url' : field.type === 'phoneNumber' ? 'tel' : 'text';
  return (
    <input
      {...common}
      type={type}
      inputMode={isNumeric(field) ? 'decimal' : undefined}
      value={text}
      onChange={(e) => setText(e.target.value)}
    />
  );
}

// ---------------------------------------------------------------- one row

interface RowProps {
  record: AirtableRecord;
  rowIndex: number; // 1-based data row (aria-rowindex - 1)
  top: number;
  width: number;
  columns: Column<AirtableRecord, unknown>[];
  virtualCols: { index: number; start: number; size: number }[];
  spacer: number;
  utilityCount: number;
  canEdit: boolean;
  selected: boolean;
  title: string;
  activeCol: number | null; // the active column when the active cell is in this row
  editing: { col: number; initial: string } | null;
  onEditDone: (record: AirtableRecord, col: number, how: { commit: boolean; text: string; move?: 'next' | 'prev' }) => void;
  onToggleSelect: (id: string) => void;
  onOpen: (id: string) => void;
}

const Row = memo(function Row(p: RowProps) {
  const tab = (col: number) => (p.activeCol === col ? 0 : -1);
  return (
    <div
      role="row"
      aria-rowindex={p.rowIndex + 1}
      aria-selected={p.canEdit ? p.selected : undefined}
      className="grid-row"
      data-selected={p.selected || undefined}
      style={{ transform: `translateY(${p.top}px)`, width: p.width }}
    >
      <div role="gridcell" aria-colindex={1} className="grid-cell cell-util cell-open" style={{ width: OPEN_W }}>
        <button type="button" className="open-button" data-cell={`${p.rowIndex}:0`} tabIndex={tab(0)} aria-label={`Open ${p.title}`} onClick={() => p.onOpen(p.record.id)}>
          <span className="row-number">{p.rowIndex}</span>
          <span aria-hidden="true" className="open-icon">
            ↗
          </span>
        </button>
      </div>
      {p.canEdit ? (
        <div role="gridcell" aria-colindex={2} className="grid-cell cell-util cell-select" style={{ width: SELECT_W, left: OPEN_W }}>
          <input
            type="checkbox"
            data-cell={`${p.rowIndex}:1`}
            tabIndex={tab(1)}
            checked={p.selected}
            aria-label={`Select ${p.title}`}
            onChange={() => p.onToggleSelect(p.record.id)}
          />
        </div>
      ) : null}
      {p.spacer > 0 ? <div className="grid-spacer" style={{ width: p.spacer }} aria-hidden="true" /> : null}
      {p.virtualCols.map((vc) => {
        const column = p.columns[vc.index];
        if (!column) return null;
        const field = (column.columnDef.meta as { field: Field }).field;
        const col = p.utilityCount + vc.index;
        const value = p.record.fields[field.name];
        const editable = p.canEdit && isEditable(field);
        const editing = p.editing && p.editing.col === col;
        return (
          <div
            key={column.id}
            role="gridcell"
            aria-colindex={col + 1}
            aria-readonly={!editable || undefined}
            data-cell={editing ? undefined : `${p.rowIndex}:${col}`}
            tabIndex={editing ? undefined : tab(col)}
            className={`grid-cell${isNumeric(field) ? ' cell-number' : ''}${editing ? ' cell-editing' : ''}${field.type === 'checkbox' ? ' cell-checkbox' : ''}`}
            style={{ width: vc.size }}
            data-col={col}
            data-row={p.rowIndex}
          >
            {editing && p.editing ? (
              <CellEditor field={field} initial={p.editing.initial} onDone={(how) => p.onEditDone(p.record, col, how)} />
            ) : (
              <span className="cell-content">
                <CellValue field={field} value={value} />
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
});

// ---------------------------------------------------------------- the grid

export function Grid(props: GridProps) {
  const { fields, records, canEdit, sort } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const utilityCount = canEdit ? 2 : 1;
  const utilityWidth = OPEN_W + (canEdit ? SELECT_W : 0);
  const primary = fields.find((f) => f.id === props.primaryFieldId);

  const columns = useMemo(
    () =>
      fields.map((f) =>
        helper.accessor((r) => r.fields[f.name], {
          id: f.id,
          header: f.name,
          size: columnWidth(f, f.id === props.primaryFieldId),
          meta: { field: f },
        }),
      ),
    [fields, props.primaryFieldId],
  );

  const table = useReactTable({
    data: records,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => r.id,
    manualSorting: true,
    state: { columnVisibility: props.columnVisibility },
  });
  const dataColumns = table.getVisibleLeafColumns();
  const rows = table.getRowModel().rows;
  const colCount = utilityCount + dataColumns.length;

  const rowV = useVirtualizer({
    count: rows.length + (props.hasMore || rows.length === 0 ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: 8,
    paddingStart: HEADER_H,
    scrollPaddingStart: HEADER_H,
  });
  const colV = useVirtualizer({
    horizontal: true,
    count: dataColumns.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => dataColumns[i]?.getSize() ?? 200,
    overscan: 2,
    paddingStart: utilityWidth,
    scrollPaddingStart: utilityWidth,
  });
  // Column sizes change when fields are hidden or shown.
  useEffect(() => {
    colV.measure();
  }, [dataColumns.length, colV]);

  const totalWidth = colV.getTotalSize();
  const vRows = rowV.getVirtualItems();
  const vCols = colV.getVirtualItems();
  const firstColStart = vCols[0]?.start ?? utilityWidth;
  const spacer = Math.max(0, firstColStart - utilityWidth);

  // Load the next page when the last loaded rows come into view.
  const lastIndex = vRows.at(-1)?.index ?? 0;
  const { hasMore, loadingMore, onLoadMore } = props;
  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= rows.length - 20) onLoadMore();
  }, [lastIndex, rows.length, hasMore, loadingMore, onLoadMore]);

  // ---- focus: one tab stop, moved with the keyboard
  const [active, setActive] = useState<Pos>({ row: 0, col: utilityCount });
  const [editing, setEditing] = useState<{ row: number; col: number; initial: string } | null>(null);
  const focusPending = useRef(false);
  const maxRow = rows.length;
  const maxCol = colCount - 1;
  const clamped: Pos = { row: Math.min(active.row, maxRow), col: Math.min(active.col, maxCol) };

  const moveTo = useCallback(
    (row: number, col: number) => {
      const r = Math.max(0, Math.min(row, maxRow));
      const c = Math.max(0, Math.min(col, maxCol));
      setActive({ row: r, col: c });
      focusPending.current = true;
      if (r > 0) rowV.scrollToIndex(r - 1, { align: 'auto' });
      if (c >= utilityCount) colV.scrollToIndex(c - utilityCount, { align: 'auto' });
    },
    [maxRow, maxCol, rowV, colV, utilityCount],
  );

  useLayoutEffect(() => {
    if (!focusPending.current) return;
    const el = scrollRef.current?.querySelector<HTMLElement>(`[data-cell="${clamped.row}:${clamped.col}"]`);
    if (el) {
      focusPending.current = false;
      el.focus({ preventScroll: true });
    }
  });

  const activeColRendered = clamped.col < utilityCount || vCols.some((v) => v.index === clamped.col - utilityCount);
  const activeRendered = activeColRendered && (clamped.row === 0 || vRows.some((v) => v.index === clamped.row - 1 && rows[v.index] !== undefined));

  const fieldAt = (col: number): Field | undefined => (dataColumns[col - utilityCount]?.columnDef.meta as { field: Field } | undefined)?.field;

  const startEdit = (row: number, col: number, initial?: string) => {
    const field = fieldAt(col);
    const record = records[row - 1];
    if (!canEdit || !field || !record || !isEditable(field)) return false;
    if (field.type === 'checkbox') {
      props.onCommit(record, field, !record.fields[field.name]);
      return true;
    }
    setEditing({ row, col, initial: initial ?? editText(field, record.fields[field.name]) });
    return true;
  };

  const onEditDone = useCallback(
    (record: AirtableRecord, col: number, how: { commit: boolean; text: string; move?: 'next' | 'prev' }) => {
      const row = records.findIndex((r) => r.id === record.id) + 1;
      const field = (dataColumns[col - utilityCount]?.columnDef.meta as { field: Field } | undefined)?.field;
      if (how.commit && field) {
        const parsed = parseEdit(field, how.text);
        if (!parsed.ok) {
          props.onEditError(parsed.message);
        } else if (!sameValue(parsed.value, record.fields[field.name])) {
          props.onCommit(record, field, parsed.value);
        }
      }
      setEditing(null);
      const nextCol = how.move === 'next' ? col + 1 : how.move === 'prev' ? col - 1 : col;
      moveTo(row > 0 ? row : 1, nextCol);
    },
    [records, dataColumns, utilityCount, moveTo, props.onCommit, props.onEditError],
  );

  const pageRows = Math.max(1, Math.floor(((scrollRef.current?.clientHeight ?? 400) - HEADER_H) / ROW_H) - 1);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (editing) return;
    const { row, col } = clamped;
    const ctrl = e.ctrlKey || e.metaKey;
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        moveTo(row + 1, col);
        break;
      case 'ArrowUp':
        moveTo(row - 1, col);
        break;
      case 'ArrowRight':
        moveTo(row, col + 1);
        break;
      case 'ArrowLeft':
        moveTo(row, col - 1);
        break;
      case 'Home':
        moveTo(ctrl ? 1 : row, 0);
        break;
      case 'End':
        moveTo(ctrl ? maxRow : row, maxCol);
        break;
      case 'PageDown':
        moveTo(row + pageRows, col);
        break;
      case 'PageUp':
        moveTo(Math.max(row > 0 ? 1 : 0, row - pageRows), col);
        break;
      case 'Enter':
      case 'F2':
        if (row > 0 && col >= utilityCount) handled = startEdit(row, col);
        else handled = false;
        break;
      case ' ':
        if (row > 0 && col >= utilityCount && fieldAt(col)?.type === 'checkbox') handled = startEdit(row, col);
        else handled = false;
        break;
      default:
        handled = false;
        if (e.key.length === 1 && !ctrl && !e.altKey && row > 0 && col >= utilityCount) {
          const field = fieldAt(col);
          if (field && field.type !== 'checkbox' && field.type !== 'singleSelect' && field.type !== 'date' && startEdit(row, col, e.key)) {
            handled = true;
          }
        }
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  };

  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-cell]');
    if (!cell || editing) return;
    const [r, c] = (cell.dataset.cell ?? '').split(':').map(Number);
    if (r !== undefined && c !== undefined && !Number.isNaN(r) && !Number.isNaN(c)) setActive({ row: r, col: c });
  };

  const onDoubleClick = (e: MouseEvent<HTMLDivElement>) => {
    const cell = (e.target as HTMLElement).closest<HTMLElement>('[role="gridcell"][data-row]');
    if (!cell) return;
    const r = Number(cell.dataset.row);
    const c = Number(cell.dataset.col);
    if (fieldAt(c)?.type !== 'checkbox') startEdit(r, c);
  };

  // A scrolled-away active cell is not in the DOM: the grid itself takes the tab stop then.
  const onGridFocus = (e: FocusEvent<HTMLDivElement>) => {
    if (e.target === scrollRef.current) moveTo(clamped.row, clamped.col);
  };

  const sortIndex = (fieldName: string) => sort.findIndex((s) => s.field === fieldName);
  const allSelected = records.length > 0 && records.every((r) => props.selected.has(r.id));
  const someSelected = !allSelected && records.some((r) => props.selected.has(r.id));

  const headerTab = (col: number) => (clamped.row === 0 && clamped.col === col ? 0 : -1);

  return (
    <div
      ref={scrollRef}
      className="grid-scroll"
      role="grid"
      aria-label={props.label}
      aria-rowcount={props.total === null ? -1 : props.total + 1}
      aria-colcount={colCount}
      aria-multiselectable={canEdit || undefined}
      aria-readonly={!canEdit || undefined}
      tabIndex={activeRendered ? -1 : 0}
      onKeyDown={onKeyDown}
      onClick={onClick}
      onDoubleClick={onDoubleClick}
      onFocus={onGridFocus}
    >
      <div className="grid-canvas" style={{ height: rowV.getTotalSize(), width: totalWidth }}>
        <div role="rowgroup" className="grid-head" style={{ width: totalWidth }}>
          <div role="row" aria-rowindex={1} className="grid-row grid-header-row" style={{ width: totalWidth }}>
            <div role="columnheader" aria-colindex={1} className="grid-cell cell-util cell-open" style={{ width: OPEN_W }}>
              <span className="header-static" data-cell="0:0" tabIndex={headerTab(0)}>
                <span aria-hidden="true">#</span>
                <span className="visually-hidden">Row</span>
              </span>
            </div>
            {canEdit ? (
              <div role="columnheader" aria-colindex={2} className="grid-cell cell-util cell-select" style={{ width: SELECT_W, left: OPEN_W }}>
                <input
                  type="checkbox"
                  data-cell="0:1"
                  tabIndex={headerTab(1)}
                  checked={allSelected}
                  ref={(el) => {
                    if (el) el.indeterminate = someSelected;
                  }}
                  aria-label="Select all loaded records"
                  onChange={props.onToggleAll}
                />
              </div>
            ) : null}
            {spacer > 0 ? <div className="grid-spacer" style={{ width: spacer }} aria-hidden="true" /> : null}
            {vCols.map((vc) => {
              const column = dataColumns[vc.index];
              if (!column) return null;
              const field = (column.columnDef.meta as { field: Field }).field;
              const col = utilityCount + vc.index;
              const si = sortIndex(field.name);
              const s = si >= 0 ? sort[si] : undefined;
              const ariaSort = si === 0 && s ? (s.desc ? 'descending' : 'ascending') : undefined;
              return (
                <div key={column.id} role="columnheader" aria-colindex={col + 1} aria-sort={ariaSort} className={`grid-cell grid-header${isNumeric(field) ? ' cell-number' : ''}`} style={{ width: vc.size }}>
                  <button
                    type="button"
                    className="sort-button"
                    data-cell={`0:${col}`}
                    tabIndex={headerTab(col)}
                    title="Sort by this field (Shift: add to the sort)"
                    onClick={(e) => props.onSort(field.name, e.shiftKey)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        e.stopPropagation();
                        props.onSort(field.name, e.shiftKey);
                      }
                    }}
                  >
                    <span className="header-name">{field.name}</span>
                    {s ? (
                      <span className="sort-indicator" aria-hidden="true">
                        {s.desc ? '↓' : '↑'}
                        {sort.length > 1 ? si + 1 : ''}
                      </span>
                    ) : null}
                    {s ? <span className="visually-hidden">{`, sorted ${s.desc ? 'descending' : 'ascending'}${sort.length > 1 ? `, sort ${si + 1} of ${sort.length}` : ''}`}</span> : null}
                  </button>
                </div>
              );
            })}
          </div>
        </div>
        <div role="rowgroup" className="grid-body">
          {vRows.map((vr) => {
            const row = rows[vr.index];
            if (!row) {
              return (
                <div key="status" role="row" aria-rowindex={vr.index + 2} className="grid-row grid-status-row" style={{ transform: `translateY(${vr.start}px)`, width: totalWidth }}>
                  <div role="gridcell" aria-colindex={1} aria-colspan={colCount} className="grid-cell grid-status-cell">
                    {rows.length === 0 && !props.hasMore ? props.emptyMessage : 'Loading more records…'}
                  </div>
                </div>
              );
            }
            const record = row.original;
            const rowIndex = vr.index + 1;
            return (
              <Row
                key={record.id}
                record={record}
                rowIndex={rowIndex}
                top={vr.start}
                width={totalWidth}
                columns={dataColumns}
                virtualCols={vCols}
                spacer={spacer}
                utilityCount={utilityCount}
                canEdit={canEdit}
                selected={props.selected.has(record.id)}
                title={recordTitle(record.fields, primary, record.id)}
                activeCol={clamped.row === rowIndex ? clamped.col : null}
                editing={editing && editing.row === rowIndex ? { col: editing.col, initial: editing.initial } : null}
                onEditDone={onEditDone}
                onToggleSelect={props.onToggleSelect}
                onOpen={props.onOpen}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}
