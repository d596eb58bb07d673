// Chat sessions (server state) and the streamed turn.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, authedStream, unwrap } from '../../api/client';
import { ApiError, toProblem, type Problem } from '../../api/problem';
import type { components } from '../../api/schema';
import type { ChatDone, ChatSessionDetail, ChatSessionSummary, ToolCallFinished, TurnUsage } from '../../api/types';
import { readSse } from '../../lib/sse';

export const chatKeys = {
  sessions: ['chat', 'sessions'] as const,
  session: (id: string) => ['chat', 'session', id] as const,
};

export function useSessions() {
  return useQuery({
    queryKey: chatKeys.sessions,
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/chat/sessions', { signal }))).sessions,
  });
}

export function useSession(id: string | undefined) {
  return useQuery({
    queryKey: chatKeys.session(id ?? ''),
    enabled: Boolean(id),
    // Content blocks are objects in the document; ChatMessage says which.
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/chat/sessions/{id}', { params: { path: { id: id ?? '' } }, signal }))) as ChatSessionDetail,
  });
}

export function useDeleteSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/chat/sessions/{id}', { params: { path: { id } } })),
    onSuccess: (_r, id) => {
      qc.setQueryData<ChatSessionSummary[]>(chatKeys.sessions, (s) => s?.filter((x) => x.id !== id));
      qc.removeQueries({ queryKey: chatKeys.session(id) });
    },
  });
}

export type ChatBody = components['schemas']['ChatRequest'];

export interface TurnHandlers {
  onSession(sessionId: string): void;
  onDelta(text: string): void;
  onToolStarted(call: { id: string; name: string; arguments: unknown }): void;
  onToolFinished(call: ToolCallFinished): void;
  onUsage(usage: TurnUsage): void;
  onDone(done: ChatDone): void;
  onError(problem: Problem): void;
}

/** Sends a message to POST /chat/stream and reports its events as they arrive. Resolves with
 *  how the stream ended: `done`, `error` (an error event), or `cut` (it ended without either).
 *  Refusals before the model runs (429 budget-exceeded, 503 no model) reject with an ApiError;
 *  aborting the signal (Stop) rejects with an AbortError. */
export async function streamTurn(body: ChatBody, signal: AbortSignal, h: TurnHandlers): Promise<'done' | 'error' | 'cut'> {
  const res = await authedStream('/api/v1/chat/stream', body, signal);
  if (!res.body) throw new ApiError({ title: 'Empty response', status: res.status, detail: 'The server sent no stream.' });
  let ending: 'done' | 'error' | 'cut' = 'cut';
  await readSse(res.body, (e) => {
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    const d = data as Record<string, unknown>;
    switch (e.event) {
      case 'session':
        h.onSession(String(d.sessionId ?? ''));
        break;
      case 'delta':
        if (typeof d.text === 'string') h.onDelta(d.text);
        break;
      case 'tool_call_started':
        h.onToolStarted({ id: String(d.id ?? ''), name: String(d.name ?? ''), arguments: d.arguments });
        break;
      case 'tool_call_finished':
        h.onToolFinished(data as ToolCallFinished);
        break;
      case 'usage':
        h.onUsage(data as TurnUsage);
        break;
      case 'done':
        ending = 'done';
        h.onDone(data as ChatDone);
        break;
      case 'error':
        ending = 'error';
        h.onError(toProblem(data, 500));
        break;
      default:
        break;
    }
  });
  return ending;
}
