// A saved session's messages grouped into turns (a user's message and everything the assistant
// did for it), for the history view.
import type { ChatMessage, TurnUsage } from '../../api/types';
import type { ToolView } from './ToolCard';

export type TurnPart = { kind: 'text'; text: string } | { kind: 'tool'; tool: ToolView };

export interface Turn {
  key: string;
  question: string;
  parts: TurnPart[];
  usage: TurnUsage;
  model: string | null;
  at: string;
}

export function groupTurns(messages: ChatMessage[]): Turn[] {
  const results = new Map<string, { content: unknown; isError: boolean }>();
  for (const m of messages) {
    for (const b of m.content) if (b.type === 'toolResult') results.set(b.id, { content: b.content, isError: b.isError });
  }
  const turns: Turn[] = [];
  let current: Turn | null = null;
  for (const m of messages) {
    if (m.role === 'user') {
      current = { key: `t${m.seq}`, question: m.text, parts: [], usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, modelCalls: 0 }, model: null, at: m.createdAt };
      turns.push(current);
      continue;
    }
    if (!current || m.role !== 'assistant') continue;
    current.usage.inputTokens += m.inputTokens;
    current.usage.outputTokens += m.outputTokens;
    current.usage.costUsd += m.costUsd;
    if (m.model) {
      current.usage.modelCalls += 1;
      current.model = m.model;
    }
    for (const b of m.content) {
      if (b.type === 'text' && b.text.trim()) current.parts.push({ kind: 'text', text: b.text });
    }
    for (const call of m.toolCalls) {
      const r = results.get(call.id);
      current.parts.push({
        kind: 'tool',
        tool: { id: call.id, name: call.name, arguments: call.arguments, status: call.ok ? 'succeeded' : 'failed', summary: call.summary, result: r?.content, hasResult: r !== undefined },
      });
    }
  }
  return turns;
}

export function money(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(usd < 1 ? 3 : 2)}`;
}

export function usageLine(u: TurnUsage): string {
  return `${money(u.costUsd)} · ${u.inputTokens.toLocaleString()} in / ${u.outputTokens.toLocaleString()} out tokens · ${u.modelCalls} model ${u.modelCalls === 1 ? 'call' : 'calls'}`;
}
