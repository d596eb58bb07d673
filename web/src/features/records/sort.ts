// The sort of the records list: the URL form (`Name,-Score`) and what header clicks do to it.
export interface SortItem {
  field: string;
  desc: boolean;
}

export function parseSort(raw: string | null): SortItem[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s.startsWith('-') ? { field: s.slice(1), desc: true } : { field: s, desc: false }));
}

export function formatSort(items: SortItem[]): string {
  return items.map((s) => `${s.desc ? '-' : ''}${s.field}`).join(',');
}

/** Click: sort by this field alone (asc → desc → none). Shift-click: add it to the sort. */
export function nextSort(current: SortItem[], field: string, multi: boolean): SortItem[] {
  const existing = current.find((s) => s.field === field);
  if (!multi) {
    if (current.length === 1 && existing) return existing.desc ? [] : [{ field, desc: true }];
    return [{ field, desc: false }];
  }
  if (!existing) return [...current, { field, desc: false }];
  if (!existing.desc) return current.map((s) => (s.field === field ? { field, desc: true } : s));
  return current.filter((s) => s.field !== field);
}
