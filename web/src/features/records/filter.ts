// The filter builder's model and the Airtable formula (`filterByFormula`) it produces. Every
// value becomes a quoted, escaped string literal (or a checked number) and every field name an
// escaped `{…}` reference — the same rules as the API's own formula builder
// (shared/airtable-client/src/formula.rs) — so nothing typed into a filter can close a string or a
// reference and inject formula code.

export type Conjunction = 'and' | 'or';

export type Operator =
  | 'contains'
  | 'notContains'
  | 'is'
  | 'isNot'
  | 'eq'
  | 'neq'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'isChecked'
  | 'isNotChecked'
  | 'isBefore'
  | 'isAfter'
  | 'isOn'
  | 'isEmpty'
  | 'isNotEmpty';

export interface Condition {
  id: string;
  field: string;
  op: Operator;
  value: string;
}

export interface FilterSpec {
  conjunction: Conjunction;
  conditions: Condition[];
}

export const OPERATOR_LABELS: Record<Operator, string> = {
  contains: 'contains',
  notContains: 'does not contain',
  is: 'is',
  isNot: 'is not',
  eq: '=',
  neq: '≠',
  lt: '<',
  lte: '≤',
  gt: '>',
  gte: '≥',
  isChecked: 'is checked',
  isNotChecked: 'is not checked',
  isBefore: 'is before',
  isAfter: 'is after',
  isOn: 'is on',
  isEmpty: 'is empty',
  isNotEmpty: 'is not empty',
};

const NUMERIC = new Set(['number', 'currency', 'percent', 'rating', 'duration', 'autoNumber', 'count']);
const DATES = new Set(['date', 'dateTime', 'createdTime', 'lastModifiedTime']);
const SELECTS = new Set(['singleSelect']);

/** The conditions that make sense for a field type, the first being the default. */
export function operatorsFor(type: string): Operator[] {
  if (NUMERIC.has(type)) return ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'isEmpty', 'isNotEmpty'];
  if (type === 'checkbox') return ['isChecked', 'isNotChecked'];
  if (DATES.has(type)) return ['isOn', 'isBefore', 'isAfter', 'isEmpty', 'isNotEmpty'];
  if (SELECTS.has(type)) return ['is', 'isNot', 'isEmpty', 'isNotEmpty'];
  return ['contains', 'notContains', 'is', 'isNot', 'isEmpty', 'isNotEmpty'];
}

/** Whether a condition takes a value. */
export function needsValue(op: Operator): boolean {
  return !['isEmpty', 'isNotEmpty', 'isChecked', 'isNotChecked'].includes(op);
}

/** A formula string literal: `'…'` with `\` and `'` escaped, newlines as `\n`, other control
 *  characters dropped. */
export function stringLiteral(value: string): string {
  let out = "'";
  for (const c of value) {
    if (c === '\\') out += '\\\\';
    else if (c === "'") out += "\\'";
    else if (c === '\n') out += '\\n';
    else if (/[\u0000-\u001f\u007f-\u009f]/.test(c)) continue;
    else out += c;
  }
  return out + "'";
}

/** A field reference: `{…}` with `\` and `}` escaped, control characters dropped. */
export function fieldRef(name: string): string {
  let out = '{';
  for (const c of name) {
    if (c === '\\') out += '\\\\';
    else if (c === '}') out += '\\}';
    else if (/[\u0000-\u001f\u007f-\u009f]/.test(c)) continue;
    else out += c;
  }
  return out + '}';
}

/** A number literal, or null when the text is not a finite number. */
export function numberLiteral(value: string): string | null {
  const t = value.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? String(n) : null;
}

/** A date (YYYY-MM-DD) literal, or null. */
export function dateLiteral(value: string): string | null {
  const t = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(t) || Number.isNaN(Date.parse(t))) return null;
  return stringLiteral(t);
}

/** One condition as a formula, or null while it is incomplete or its value is invalid. */
export function conditionFormula(c: Condition, _type: string): string | null {
  if (!c.field) return null;
  const f = fieldRef(c.field);
  const text = `${f}&''`;
  if (needsValue(c.op) && c.value.trim() === '') return null;
  switch (c.op) {
    case 'isEmpty':
      return `LEN(${text}) = 0`;
    case 'isNotEmpty':
      return `LEN(${text}) > 0`;
    case 'isChecked':
      return `${f}`;
    case 'isNotChecked':
      return `NOT(${f})`;
    case 'contains':
      return `SEARCH(${stringLiteral(c.value.toLowerCase())}, LOWER(${text}))`;
    case 'notContains':
      return `NOT(SEARCH(${stringLiteral(c.value.toLowerCase())}, LOWER(${text})))`;
    case 'is':
      return `${f} = ${stringLiteral(c.value)}`;
    case 'isNot':
      return `${f} != ${stringLiteral(c.value)}`;
    case 'eq':
    case 'neq':
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const n = numberLiteral(c.value);
      if (n === null) return null;
      const sym = { eq: '=', neq: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=' }[c.op];
      return `${f} ${sym} ${n}`;
    }
    case 'isBefore':
    case 'isAfter': {
      const d = dateLiteral(c.value);
      if (d === null) return null;
      return `${c.op === 'isBefore' ? 'IS_BEFORE' : 'IS_AFTER'}(${f}, ${d})`;
    }
    case 'isOn': {
      const d = dateLiteral(c.value);
      if (d === null) return null;
      return `AND(LEN(${text}) > 0, NOT(IS_BEFORE(${f}, ${d})), NOT(IS_AFTER(${f}, ${d})))`;
    }
  }
  return null;
}

/** Why a condition is not applied yet (for the builder's inline message), or null. */
export function conditionProblem(c: Condition, type: string): string | null {
  if (!c.field) return 'Choose a field';
  if (needsValue(c.op) && c.value.trim() === '') return 'Enter a value';
  if (conditionFormula(c, type) === null) {
    if (['eq', 'neq', 'lt', 'lte', 'gt', 'gte'].includes(c.op)) return 'Enter a number';
    return 'Enter a date as YYYY-MM-DD';
  }
  return null;
}

/** The whole filter as one formula ('' when no condition is complete). `types` maps field names
 *  to Airtable field types. */
export function buildFormula(spec: FilterSpec, types: Record<string, string>): string {
  const parts = spec.conditions
    .map((c) => conditionFormula(c, types[c.field] ?? 'singleLineText'))
    .filter((p): p is string => p !== null);
  if (parts.length === 0) return '';
  if (parts.length === 1) return parts[0] ?? '';
  return `${spec.conjunction === 'and' ? 'AND' : 'OR'}(${parts.join(', ')})`;
}

// ---- the filter in the URL (so back/forward and shared links keep it) ----

export function encodeFilter(spec: FilterSpec): string {
  if (spec.conditions.length === 0) return '';
  return JSON.stringify({ c: spec.conjunction, w: spec.conditions.map((x) => [x.field, x.op, x.value]) });
}

export function decodeFilter(raw: string | null): FilterSpec {
  const empty: FilterSpec = { conjunction: 'and', conditions: [] };
  if (!raw) return empty;
  try {
    const v = JSON.parse(raw) as { c?: unknown; w?: unknown };
    if (!Array.isArray(v.w)) return empty;
    const conditions: Condition[] = [];
    v.w.forEach((x: unknown, i: number) => {
      if (Array.isArray(x) && typeof x[0] === 'string' && typeof x[1] === 'string' && x[1] in OPERATOR_LABELS) {
        conditions.push({ id: `c${i}`, field: x[0], op: x[1] as Operator, value: typeof x[2] === 'string' ? x[2] : '' });
      }
    });
    return { conjunction: v.c === 'or' ? 'or' : 'and', conditions };
  } catch {
    return empty;
  }
}
