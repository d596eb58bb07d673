import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../api/types';
import { groupTurns, usageLine } from './turns';

const base = { toolCalls: [], inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: 0, model: null, createdAt: '2026-01-01T00:00:00Z', text: '' };

describe('groupTurns', () => {
  it('groups a session into turns: the question, text and tool calls in order, results joined, usage summed', () => {
    const messages: ChatMessage[] = [
      { ...base, seq: 0, role: 'user', text: 'How many?', content: [{ type: 'text', text: 'How many?' }] },
      {
        ...base,
        seq: 1,
        role: 'assistant',
        model: 'm',
        inputTokens: 100,
        outputTokens: 10,
        costUsd: 0.1,
        content: [{ type: 'toolUse', id: 'c1', name: 'get_records', input: { table: 'T' } }],
        toolCalls: [{ id: 'c1', name: 'get_records', arguments: { table: 'T' }, ok: true, summary: '2 records' }],
      },
      { ...base, seq: 2, role: 'tool', content: [{ type: 'toolResult', id: 'c1', content: { records: [1, 2] }, isError: false }] },
      { ...base, seq: 3, role: 'assistant', model: 'm', inputTokens: 120, outputTokens: 20, costUsd: 0.2, content: [{ type: 'text', text: 'Two.' }] },
      { ...base, seq: 4, role: 'user', text: 'Thanks', content: [{ type: 'text', text: 'Thanks' }] },
    ];
    const turns = groupTurns(messages);
    expect(turns).toHaveLength(2);
    const [first, second] = turns;
    expect(first?.question).toBe('How many?');
    expect(first?.parts.map((p) => p.kind)).toEqual(['tool', 'text']);
    const tool = first?.parts[0];
    expect(tool?.kind === 'tool' && tool.tool).toMatchObject({ name: 'get_records', status: 'succeeded', summary: '2 records', result: { records: [1, 2] }, hasResult: true });
    expect(first?.usage).toEqual({ inputTokens: 220, outputTokens: 30, costUsd: expect.closeTo(0.3, 6) as unknown as number, modelCalls: 2 });
    expect(second?.parts).toEqual([]);
    expect(usageLine({ inputTokens: 220, outputTokens: 30, costUsd: 0.3, modelCalls: 2 })).toBe('$0.300 · 220 in / 30 out tokens · 2 model calls');
  });
});
