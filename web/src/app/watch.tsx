// Background outcomes: an import (saga) or a workflow run this tab started is followed while the
// user goes elsewhere in the app, and its outcome is announced in a toast with a link — unless the
// user is already on its page, which shows it.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { useQueries } from '@tanstack/react-query';
import { useLocation } from 'react-router';
import { api, unwrap } from '../api/client';
import { ApiError } from '../api/problem';
import type { Run, Saga } from '../api/types';
import { useToast } from '../ui/Toast';
import { sagaOf } from '../features/sagas/api';

export interface Watched {
  kind: 'saga' | 'run';
  id: string;
  /** Says what it is: "The import of people.csv into Contacts". */
  label: string;
  /** For runs: the workflow (the run's page is under it). */
  workflowId?: string;
}

const WatchContext = createContext<(w: Watched) => void>(() => {});

const POLL_MS = 2000;

interface Outcome {
  final: boolean;
  ok: boolean;
  text: string;
}

function sagaOutcome(s: Saga): Outcome {
  const done = s.steps.find((x) => x.name === 'write_rows')?.result as { created?: number } | undefined;
  switch (s.status) {
    case 'completed':
      return { final: true, ok: true, text: done?.created !== undefined ? `finished: ${done.created.toLocaleString()} records written` : 'finished' };
    case 'compensated':
      return { final: true, ok: false, text: 'failed and was rolled back' };
    case 'compensation_failed':
      return { final: true, ok: false, text: 'failed, and its rollback needs attention' };
    case 'failed':
      return { final: true, ok: false, text: 'failed before changing anything' };
    default:
      return { final: false, ok: true, text: '' };
  }
}

function runOutcome(r: Run): Outcome {
  switch (r.status) {
    case 'succeeded':
      return { final: true, ok: true, text: 'succeeded' };
    case 'failed':
      return { final: true, ok: false, text: 'failed' };
    case 'cancelled':
      return { final: true, ok: false, text: 'was cancelled' };
    default:
      return { final: false, ok: true, text: '' };
  }
}

export function WatchProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<Watched[]>([]);
  const toast = useToast();
  const { pathname } = useLocation();
  const results = useQueries({
    queries: items.map((w) => ({
      queryKey: ['watch', w.kind, w.id],
      // A job the API no longer shows this user (deleted, or the workspace changed: 4xx) is not
      // asked about again; a passing failure (5xx, the network) is.
      refetchInterval: (q: { state: { error: unknown } }) => (q.state.error instanceof ApiError && q.state.error.status < 500 ? false : POLL_MS),
      retry: (n: number, e: unknown) => !(e instanceof ApiError && e.status < 500) && n < 3,
      queryFn: async ({ signal }: { signal: AbortSignal }): Promise<Outcome> =>
        w.kind === 'saga'
          ? sagaOutcome(sagaOf(await unwrap(api.GET('/api/v1/saga/transaction/{id}', { params: { path: { id: w.id } }, signal }))))
          : runOutcome(await unwrap(api.GET('/api/v1/workflows/executions/{executionId}', { params: { path: { executionId: w.id } }, signal }))),
    })),
  });
  const finished = results.map((r, i) => (r.data?.final ? i : -1)).filter((i) => i >= 0);
  const key = finished.map((i) => items[i]?.id).join(',');
  useEffect(() => {
    if (!key) return;
    const done = new Set<string>();
    for (const i of finished) {
      const w = items[i];
      const o = results[i]?.data;
      if (!w || !o) continue;
      done.add(w.id);
      const to = w.kind === 'saga' ? `/jobs/${w.id}` : `/workflows/${w.workflowId ?? ''}/runs/${w.id}`;
      if (!pathname.includes(w.id)) toast(`${w.label} ${o.text}.`, o.ok ? 'success' : 'error', { label: w.kind === 'saga' ? 'See the import' : 'See the run', to });
    }
    setItems((xs) => xs.filter((x) => !done.has(x.id)));
    // eslint-style note: `finished`/`results` are read through `key`, which changes when they do.
  }, [key]);
  const watch = useCallback((w: Watched) => setItems((xs) => (xs.some((x) => x.id === w.id) ? xs : [...xs, w])), []);
  return <WatchContext.Provider value={watch}>{children}</WatchContext.Provider>;
}

/** Follows a saga or a run in the background until it ends. */
export function useWatch() {
  return useContext(WatchContext);
}
