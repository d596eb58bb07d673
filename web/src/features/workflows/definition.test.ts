import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../api/types';
import { addStep, freshId, fromJson, getAt, moveStep, newStep, parsePath, referencesAt, toJson, updateAt } from './definition';

const def: WorkflowDefinition = {
  name: 'Leads',
  trigger: { type: 'manual' },
  steps: [
    { id: 'find', type: 'get_records', input: { base_id: 'appX', table: 'Contacts' } },
    {
      id: 'check',
      type: 'condition',
      if: { left: '{{trigger.name}}', op: 'exists' },
      then: [{ id: 'loop', type: 'for_each', items: '{{steps.find.output.records}}', steps: [{ id: 'inner', type: 'log', input: { message: '{{item.id}}' } }] }, { id: 'add', type: 'create_record', input: {} }],
    },
    { id: 'call', type: 'http_request', input: { url: 'https://example.com' } },
  ],
};

describe('workflow definitions in the editor', () => {
  it('reads the API’s paths', () => {
    expect(parsePath('steps[1].then[0].input.url')).toEqual(['steps', 1, 'then', 0, 'input', 'url']);
    expect(getAt(def, 'steps[1].then[1].id')).toBe('add');
  });

  it('updates at a path without touching the rest, and deletes with undefined', () => {
    const next = updateAt(def, 'steps[0].input.table', () => 'People');
    expect(getAt(next, 'steps[0].input.table')).toBe('People');
    expect(getAt(def, 'steps[0].input.table')).toBe('Contacts');
    expect(next.steps[1]).toBe(def.steps[1]);
    expect(getAt(updateAt(def, 'steps[0].input.table', () => undefined), 'steps[0].input')).toEqual({ base_id: 'appX' });
  });

  it('adds, moves and names new steps uniquely', () => {
    const added = addStep(def, 'steps[1].then', newStep('log', freshId('log', def)));
    expect(getAt(added, 'steps[1].then[2].id')).toBe('log_1');
    expect(moveStep(def, 'steps', 2, -1).steps.map((s) => s.id)).toEqual(['find', 'call', 'check']);
    expect(moveStep(def, 'steps', 0, -1).steps.map((s) => s.id)).toEqual(['find', 'check', 'call']);
  });

  it('offers the references a step can use: earlier steps, not a loop’s inner steps, item inside loops, secrets in http_request', () => {
    const atAdd = referencesAt(def, 'steps[1].then[1]').map((r) => r.ref);
    expect(atAdd).toContain('steps.find.output');
    expect(atAdd).toContain('steps.loop.output');
    expect(atAdd).not.toContain('steps.inner.output');
    expect(atAdd).not.toContain('steps.check.output');
    expect(atAdd).not.toContain('item');
    expect(referencesAt(def, 'steps[1].then[0].steps[0]').map((r) => r.ref)).toContain('item');
    expect(referencesAt(def, 'steps[2]', ['API_TOKEN']).map((r) => r.ref)).toContain('secrets.API_TOKEN');
    expect(referencesAt(def, 'steps[0]', ['API_TOKEN']).map((r) => r.ref)).not.toContain('secrets.API_TOKEN');
  });

  it('round-trips through the JSON view', () => {
    expect(fromJson(toJson(def))).toEqual(def);
    expect(() => fromJson('{"name": 1}')).toThrow(/name/);
  });
});
