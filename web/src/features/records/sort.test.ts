import { describe, expect, it } from 'vitest';
import { formatSort, nextSort, parseSort } from './sort';

describe('sorting by header clicks', () => {
  it('a click sorts by that field alone: ascending, descending, then none', () => {
    let s = nextSort([], 'Name', false);
    expect(formatSort(s)).toBe('Name');
    s = nextSort(s, 'Name', false);
    expect(formatSort(s)).toBe('-Name');
    s = nextSort(s, 'Name', false);
    expect(formatSort(s)).toBe('');
    expect(formatSort(nextSort(parseSort('Name,-Score'), 'Email', false))).toBe('Email');
  });

  it('a shift-click adds a field, flips it, then removes it, keeping the others in order', () => {
    let s = parseSort('-Name');
    s = nextSort(s, 'Score', true);
    expect(formatSort(s)).toBe('-Name,Score');
    s = nextSort(s, 'Score', true);
    expect(formatSort(s)).toBe('-Name,-Score');
    s = nextSort(s, 'Score', true);
    expect(formatSort(s)).toBe('-Name');
  });

  it('parses the URL form', () => {
    expect(parseSort('Name, -Score,,')).toEqual([
      { field: 'Name', desc: false },
      { field: 'Score', desc: true },
    ]);
    expect(parseSort(null)).toEqual([]);
  });
});
