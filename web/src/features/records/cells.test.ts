import { describe, expect, it } from 'vitest';
import type { Field } from '../../api/types';
import { editText, isEditable, parseEdit, plainText, recordTitle } from './cells';

const f = (type: string, name = 'F', options?: Field['options']): Field => ({ id: `fld${name}`, name, type, ...(options ? { options } : {}) });

describe('inline edits', () => {
  it('parses what an editor holds into what the API takes; empty clears the field', () => {
    expect(parseEdit(f('number'), ' 1,234.5 ')).toEqual({ ok: true, value: 1234.5 });
    expect(parseEdit(f('number', 'Score'), 'abc')).toEqual({ ok: false, message: 'Score needs a number' });
    expect(parseEdit(f('percent'), '12.5')).toEqual({ ok: true, value: 0.125 });
    expect(parseEdit(f('date', 'Due'), '2026-02-30x')).toEqual({ ok: false, message: 'Due needs a date (YYYY-MM-DD)' });
    expect(parseEdit(f('date'), '2026-02-03')).toEqual({ ok: true, value: '2026-02-03' });
    expect(parseEdit(f('singleLineText'), '  Ada  ')).toEqual({ ok: true, value: 'Ada' });
    expect(parseEdit(f('multilineText'), 'line 1\nline 2\n')).toEqual({ ok: true, value: 'line 1\nline 2\n' });
    expect(parseEdit(f('singleLineText'), '   ')).toEqual({ ok: true, value: null });
  });

  it('starts an editor from the value, percentages as percents', () => {
    expect(editText(f('percent'), 0.25)).toBe('25');
    expect(editText(f('number'), 7)).toBe('7');
    expect(editText(f('singleLineText'), undefined)).toBe('');
  });

  it('edits inline only the types it can write back', () => {
    for (const t of ['singleLineText', 'email', 'number', 'checkbox', 'singleSelect', 'date', 'multilineText']) expect(isEditable(f(t))).toBe(true);
    for (const t of ['formula', 'multipleRecordLinks', 'multipleAttachments', 'createdTime', 'autoNumber', 'multipleSelects']) expect(isEditable(f(t))).toBe(false);
  });
});

describe('plain text of values', () => {
  it('reads names of attachments, collaborators and lists', () => {
    expect(plainText([{ filename: 'a.pdf', url: 'x' }, { filename: 'b.png' }])).toBe('a.pdf, b.png');
    expect(plainText({ id: 'usr1', email: 'a@b.c', name: 'Ada' })).toBe('Ada');
    expect(plainText(['recA', 'recB'])).toBe('recA, recB');
    expect(plainText(true)).toBe('true');
    expect(plainText(null)).toBe('');
  });

  it('names a record by its primary field, or says it has none', () => {
    const primary = f('singleLineText', 'Name');
    expect(recordTitle({ Name: 'Ada' }, primary, 'rec1')).toBe('Ada');
    expect(recordTitle({}, primary, 'rec1')).toBe('Unnamed record (rec1)');
  });
});
