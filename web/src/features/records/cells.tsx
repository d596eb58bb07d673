// Type-aware display of Airtable values, in the grid (one line) and in the record drawer (in
// full), and what can be edited inline.
import type { ReactNode } from 'react';
import type { Field } from '../../api/types';
import { Icon } from '../../ui/Icon';

const EDITABLE = new Set(['singleLineText', 'multilineText', 'email', 'url', 'phoneNumber', 'number', 'currency', 'percent', 'checkbox', 'singleSelect', 'date', 'rating']);
const NUMERIC = new Set(['number', 'currency', 'percent', 'rating', 'autoNumber', 'count', 'duration']);

export function isEditable(field: Field): boolean {
  return EDITABLE.has(field.type);
}

export function isNumeric(field: Field): boolean {
  return NUMERIC.has(field.type);
}

export function columnWidth(field: Field, primary: boolean): number {
  if (primary) return 220;
  switch (field.type) {
    case 'checkbox':
      return 96;
    case 'number':
    case 'currency':
    case 'percent':
    case 'rating':
    case 'autoNumber':
    case 'count':
      return 120;
    case 'date':
      return 140;
    case 'dateTime':
    case 'createdTime':
    case 'lastModifiedTime':
      return 190;
    case 'singleSelect':
      return 150;
    case 'multilineText':
    case 'multipleSelects':
    case 'multipleRecordLinks':
    case 'multipleAttachments':
      return 260;
    case 'email':
    case 'url':
      return 230;
    default:
      return 200;
  }
}

function choiceIndex(field: Field, name: string): number {
  const i = field.options?.choices?.findIndex((c) => c.name === name) ?? -1;
  if (i >= 0) return i % 8;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % 8;
}

export function Chip({ children, color }: { children: ReactNode; color?: number }) {
  return (
    <span className="chip" data-color={color ?? 7}>
      {children}
    </span>
  );
}

export function formatNumber(field: Field, n: number): string {
  const precision = typeof field.options?.precision === 'number' ? field.options.precision : undefined;
  const opts: Intl.NumberFormatOptions = precision !== undefined ? { minimumFractionDigits: precision, maximumFractionDigits: precision } : { maximumFractionDigits: 6 };
  if (field.type === 'currency') {
    const symbol = typeof field.options?.symbol === 'string' ? field.options.symbol : '$';
    return `${symbol}${n.toLocaleString(undefined, opts)}`;
  }
  if (field.type === 'percent') return `${(n * 100).toLocaleString(undefined, opts)}%`;
  return n.toLocaleString(undefined, opts);
}

export function formatDate(value: string, withTime: boolean): string {
  const d = new Date(withTime ? value : `${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return value;
  return withTime
    ? d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short text for any value (search, titles, formula results). */
export function plainText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(plainText).join(', ');
  if (isRecord(value)) {
    for (const k of ['name', 'filename', 'text', 'label', 'email', 'id']) if (typeof value[k] === 'string') return value[k];
    return JSON.stringify(value);
  }
  return String(value);
}

/** The primary field's value as a record title. */
export function recordTitle(fields: Record<string, unknown>, primary: Field | undefined, id: string): string {
  const v = primary ? plainText(fields[primary.name]) : '';
  return v.trim() || `Unnamed record (${id})`;
}

/** A value as the grid shows it (one line; `full` for the drawer). */
export function CellValue({ field, value, full = false }: { field: Field; value: unknown; full?: boolean }): ReactNode {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
    if (field.type === 'checkbox') return <span className="check" data-checked="false" aria-label="unchecked" role="img" />;
    return full ? <span className="muted">—</span> : null;
  }
  const link = (href: string, text: string) => (
    <a href={href} target="_blank" rel="noopener noreferrer" tabIndex={full ? undefined : -1}>
      {text}
    </a>
  );
  switch (field.type) {
    case 'checkbox':
      return <span className="check" data-checked={value ? 'true' : 'false'} aria-label={value ? 'checked' : 'unchecked'} role="img" />;
    case 'number':
    case 'currency':
    case 'percent':
    case 'autoNumber':
    case 'count':
    case 'duration':
      return typeof value === 'number' ? formatNumber(field, value) : plainText(value);
    case 'rating':
      return typeof value === 'number' ? <span aria-label={`${value} stars`}>{'★'.repeat(Math.max(0, Math.min(10, value)))}</span> : plainText(value);
    case 'singleSelect':
      return typeof value === 'string' ? <Chip color={choiceIndex(field, value)}>{value}</Chip> : plainText(value);
    case 'multipleSelects':
      return Array.isArray(value) ? (
        <span className="chips">
          {value.map((v) => (
            <Chip key={String(v)} color={choiceIndex(field, String(v))}>
              {String(v)}
            </Chip>
          ))}
        </span>
      ) : (
        plainText(value)
      );
    case 'multipleRecordLinks':
      return Array.isArray(value) ? (
        <span className="chips">
          {value.map((v) => (
            <Chip key={plainText(v)} color={0}>
              {plainText(v)}
            </Chip>
          ))}
        </span>
      ) : (
        plainText(value)
      );
    case 'multipleAttachments':
      return Array.isArray(value) ? (
        <span className="chips">
          {value.map((a, i) => {
            const name = isRecord(a) && typeof a.filename === 'string' ? a.filename : `file ${i + 1}`;
            const url = isRecord(a) && typeof a.url === 'string' ? a.url : null;
            return (
              <Chip key={`${name}${i}`}>
                <Icon name="paperclip" size={12} /> {full && url ? link(url, name) : name}
              </Chip>
            );
          })}
        </span>
      ) : (
        plainText(value)
      );
    case 'email':
      return typeof value === 'string' ? link(`mailto:${value}`, value) : plainText(value);
    case 'url':
      return typeof value === 'string' && /^https?:\/\//i.test(value) ? link(value, value) : plainText(value);
    case 'phoneNumber':
      return typeof value === 'string' ? link(`tel:${value.replace(/[^\d+]/g, '')}`, value) : plainText(value);
    case 'date':
      return typeof value === 'string' ? <time dateTime={value}>{formatDate(value, false)}</time> : plainText(value);
    case 'dateTime':
    case 'createdTime':
    case 'lastModifiedTime':
      return typeof value === 'string' ? <time dateTime={value}>{formatDate(value, true)}</time> : plainText(value);
    case 'multilineText':
    case 'richText':
      return full ? <span className="pre-line">{plainText(value)}</span> : plainText(value).split('\n')[0];
    case 'singleCollaborator':
    case 'createdBy':
    case 'lastModifiedBy':
    case 'multipleCollaborators':
      return plainText(value);
    default:
      return full && isRecord(value) ? <pre className="mono small">{JSON.stringify(value, null, 2)}</pre> : plainText(value);
  }
}

/** The text an editor starts from. */
export function editText(field: Field, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (field.type === 'percent' && typeof value === 'number') return String(value * 100);
  return plainText(value);
}

/** The value an editor's text means for the API (null clears the field). */
export function parseEdit(field: Field, text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  const t = field.type === 'multilineText' ? text : text.trim();
  if (t === '') return { ok: true, value: null };
  switch (field.type) {
    case 'number':
    case 'currency':
    case 'percent':
    case 'rating': {
      const n = Number(t.replace(/,/g, ''));
      if (!Number.isFinite(n)) return { ok: false, message: `${field.name} needs a number` };
      return { ok: true, value: field.type === 'percent' ? n / 100 : n };
    }
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(t)) return { ok: false, message: `${field.name} needs a date (YYYY-MM-DD)` };
      return { ok: true, value: t };
    default:
      return { ok: true, value: t };
  }
}
