import { describe, expect, it } from 'vitest';
import { buildFormula, conditionFormula, decodeFilter, encodeFilter, fieldRef, numberLiteral, operatorsFor, stringLiteral, type Condition, type FilterSpec } from './filter';

const types = { Name: 'singleLineText', Score: 'number', Active: 'checkbox', Status: 'singleSelect', 'Signed up': 'date', Notes: 'multilineText' };
const c = (field: string, op: Condition['op'], value = ''): Condition => ({ id: `${field}${op}`, field, op, value });

describe('string literals and field references (same rules as the API)', () => {
  it('escapes quotes and backslashes so a value cannot close its literal', () => {
    expect(stringLiteral("it's")).toBe("'it\\'s'");
    expect(stringLiteral("a\\'b")).toBe("'a\\\\\\'b'");
    expect(stringLiteral("x') , TRUE()) & ('")).toBe("'x\\') , TRUE()) & (\\''");
    expect(stringLiteral('say "hi"')).toBe("'say \"hi\"'");
    expect(stringLiteral('line\nbreak\ttab\u0000')).toBe("'line\\nbreaktab'");
  });

  it('escapes braces and backslashes in field names', () => {
    expect(fieldRef('Full Name')).toBe('{Full Name}');
    expect(fieldRef('a}b')).toBe('{a\\}b}');
    expect(fieldRef('back\\slash')).toBe('{back\\\\slash}');
  });

  it('accepts only finite numbers', () => {
    expect(numberLiteral(' 42 ')).toBe('42');
    expect(numberLiteral('-3.5')).toBe('-3.5');
    expect(numberLiteral('1e3')).toBe('1000');
    expect(numberLiteral('1) , TRUE()')).toBeNull();
    expect(numberLiteral('NaN')).toBeNull();
    expect(numberLiteral('')).toBeNull();
  });
});

describe('conditions', () => {
  it('text: contains is case-insensitive and escaped', () => {
    expect(conditionFormula(c('Name', 'contains', "O'Brien"), 'singleLineText')).toBe("SEARCH('o\\'brien', LOWER({Name}&''))");
    expect(conditionFormula(c('Name', 'notContains', 'x'), 'singleLineText')).toBe("NOT(SEARCH('x', LOWER({Name}&'')))");
    expect(conditionFormula(c('Name', 'is', 'Ada \\ Lovelace'), 'singleLineText')).toBe("{Name} = 'Ada \\\\ Lovelace'");
    expect(conditionFormula(c('Status', 'isNot', 'Lead'), 'singleSelect')).toBe("{Status} != 'Lead'");
  });

  it('numbers are compared as numbers and refused when not numbers', () => {
    expect(conditionFormula(c('Score', 'gte', '50'), 'number')).toBe('{Score} >= 50');
    expect(conditionFormula(c('Score', 'neq', '0'), 'number')).toBe('{Score} != 0');
    expect(conditionFormula(c('Score', 'lt', "1'"), 'number')).toBeNull();
  });

  it('checkbox, emptiness and dates', () => {
    expect(conditionFormula(c('Active', 'isChecked'), 'checkbox')).toBe('{Active}');
    expect(conditionFormula(c('Active', 'isNotChecked'), 'checkbox')).toBe('NOT({Active})');
    expect(conditionFormula(c('Notes', 'isEmpty'), 'multilineText')).toBe("LEN({Notes}&'') = 0");
    expect(conditionFormula(c('Notes', 'isNotEmpty'), 'multilineText')).toBe("LEN({Notes}&'') > 0");
    expect(conditionFormula(c('Signed up', 'isBefore', '2024-02-01'), 'date')).toBe("IS_BEFORE({Signed up}, '2024-02-01')");
    expect(conditionFormula(c('Signed up', 'isAfter', "2024-02-01'"), 'date')).toBeNull();
    expect(conditionFormula(c('Signed up', 'isOn', '2024-02-01'), 'date')).toBe(
      "AND(LEN({Signed up}&'') > 0, NOT(IS_BEFORE({Signed up}, '2024-02-01')), NOT(IS_AFTER({Signed up}, '2024-02-01')))",
    );
  });

  it('incomplete conditions produce nothing', () => {
    expect(conditionFormula(c('', 'contains', 'x'), 'singleLineText')).toBeNull();
    expect(conditionFormula(c('Name', 'contains', '  '), 'singleLineText')).toBeNull();
  });

  it('offers operators by field type', () => {
    expect(operatorsFor('number')[0]).toBe('eq');
    expect(operatorsFor('checkbox')).toEqual(['isChecked', 'isNotChecked']);
    expect(operatorsFor('singleSelect')).toContain('is');
    expect(operatorsFor('email')[0]).toBe('contains');
  });
});

describe('buildFormula', () => {
  it('joins complete conditions with AND or OR and skips incomplete ones', () => {
    const spec: FilterSpec = {
      conjunction: 'and',
      conditions: [c('Status', 'is', 'Customer'), c('Score', 'gt', '10'), c('Name', 'contains', '')],
    };
    expect(buildFormula(spec, types)).toBe("AND({Status} = 'Customer', {Score} > 10)");
    expect(buildFormula({ ...spec, conjunction: 'or' }, types)).toBe("OR({Status} = 'Customer', {Score} > 10)");
  });

  it('one condition stands alone; none is the empty formula', () => {
    expect(buildFormula({ conjunction: 'and', conditions: [c('Active', 'isChecked')] }, types)).toBe('{Active}');
    expect(buildFormula({ conjunction: 'or', conditions: [] }, types)).toBe('');
  });

  it('an injection attempt stays inside its literal', () => {
    const evil = "x'), TRUE(), ('";
    const f = buildFormula({ conjunction: 'and', conditions: [c('Name', 'is', evil)] }, types);
    expect(f).toBe("{Name} = 'x\\'), TRUE(), (\\''");
  });

  it('round-trips through the URL', () => {
    const spec: FilterSpec = { conjunction: 'or', conditions: [c('Name', 'contains', "a'b"), c('Score', 'gt', '3')] };
    const back = decodeFilter(encodeFilter(spec));
    expect(back.conjunction).toBe('or');
    expect(back.conditions.map(({ field, op, value }) => [field, op, value])).toEqual([
      ['Name', 'contains', "a'b"],
      ['Score', 'gt', '3'],
    ]);
    expect(decodeFilter('not json')).toEqual({ conjunction: 'and', conditions: [] });
  });
});
