// The column → field mapping of an import: matches proposed by name, and a check of each pair of
// types before anything is written (what fits, what Airtable converts only with typecast, and
// what cannot be written at all).
import type { Field } from '../../api/types';

/** A column's inferred type: `number`, `checkbox`, `date`, `email`, `url` or `text` (the API's
 *  Column.type, a string). */
type ColumnType = string;

/** Names compared without case, spaces or punctuation ("E-mail" matches "email"). */
export function normalise(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** Field types Airtable computes: never written by an import. */
const COMPUTED = new Set(['formula', 'rollup', 'lookup', 'multipleLookupValues', 'count', 'autoNumber', 'createdTime', 'lastModifiedTime', 'createdBy', 'lastModifiedBy', 'button', 'externalSyncSource', 'aiText']);
const TEXT = new Set(['singleLineText', 'multilineText', 'richText']);
const NUMBER = new Set(['number', 'currency', 'percent', 'duration', 'rating']);
const DATE = new Set(['date', 'dateTime']);

export type Fit = { level: 'ok' } | { level: 'warn' | 'error'; message: string };

/** Whether a column of `column` type goes into a field of `field` type. */
export function fit(column: ColumnType, field: string, typecast: boolean): Fit {
  if (COMPUTED.has(field)) return { level: 'error', message: `${field} fields are computed by Airtable and cannot be written` };
  if (field === 'multipleAttachments' || field === 'multipleRecordLinks' || field === 'singleCollaborator' || field === 'multipleCollaborators') {
    return { level: 'error', message: `a ${column} column cannot fill a ${field} field` };
  }
  if (TEXT.has(field)) return { level: 'ok' };
  const same =
    (NUMBER.has(field) && column === 'number') ||
    (DATE.has(field) && column === 'date') ||
    (field === 'checkbox' && column === 'checkbox') ||
    (field === 'email' && (column === 'email' || column === 'text')) ||
    (field === 'url' && (column === 'url' || column === 'text')) ||
    (field === 'phoneNumber' && (column === 'text' || column === 'number'));
  if (same) return { level: 'ok' };
  const selects = field === 'singleSelect' || field === 'multipleSelects';
  const convertible =
    selects ||
    (NUMBER.has(field) && column === 'text') ||
    (DATE.has(field) && column === 'text') ||
    (field === 'checkbox' && (column === 'text' || column === 'number'));
  if (convertible) {
    const what = selects ? 'new options are added' : `${column} values are converted`;
    return typecast
      ? { level: 'warn', message: `${what} by Airtable (typecast); values it cannot convert fail the import` }
      : { level: 'error', message: `${column} into ${field} needs typecast` };
  }
  return { level: 'error', message: `a ${column} column does not fit a ${field} field` };
}

/** The field proposed for each column: the one with the same name (normalised), if any. */
export function propose(columns: { name: string }[], fields: Field[]): Record<string, string> {
  const byName = new Map(fields.filter((f) => !COMPUTED.has(f.type)).map((f) => [normalise(f.name), f.name]));
  const out: Record<string, string> = {};
  for (const c of columns) {
    const f = byName.get(normalise(c.name));
    if (f) out[c.name] = f;
  }
  return out;
}

/** The Airtable field type a new table gets for a column (what the import creates). */
export function newFieldType(column: ColumnType): string {
  const types: Record<string, string> = { number: 'number', checkbox: 'checkbox', date: 'date', email: 'email', url: 'url' };
  return types[column] ?? 'multilineText';
}

export function isComputed(type: string): boolean {
  return COMPUTED.has(type);
}
