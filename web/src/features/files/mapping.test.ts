import { describe, expect, it } from 'vitest';
import type { Field } from '../../api/types';
import { fit, normalise, propose } from './mapping';

const field = (name: string, type: string): Field => ({ id: `fld${name}`, name, type });

describe('import mapping', () => {
  it('proposes fields by name, ignoring case, spaces and punctuation, never computed ones', () => {
    const fields = [field('Name', 'singleLineText'), field('E-mail', 'email'), field('Total', 'formula')];
    expect(propose([{ name: 'name' }, { name: 'Email' }, { name: 'total' }, { name: 'Other' }], fields)).toEqual({ name: 'Name', Email: 'E-mail' });
    expect(normalise(' Prénom Nom ')).toBe('prenomnom');
  });

  it('flags text into a number without typecast, and warns with it', () => {
    expect(fit('text', 'number', false).level).toBe('error');
    expect(fit('text', 'number', true).level).toBe('warn');
    expect(fit('number', 'number', false).level).toBe('ok');
    expect(fit('number', 'singleLineText', false).level).toBe('ok');
  });

  it('refuses computed and link fields whatever typecast says', () => {
    expect(fit('text', 'formula', true)).toMatchObject({ level: 'error', message: expect.stringContaining('computed') });
    expect(fit('text', 'multipleRecordLinks', true).level).toBe('error');
    expect(fit('date', 'checkbox', true).level).toBe('error');
  });
});
