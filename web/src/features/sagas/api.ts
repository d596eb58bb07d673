// Server state of sagas (imports, bulk updates, syncs): the list, filtered and paged by the
// API, and one transaction, polled while it runs or compensates.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { Saga, SagaPage, SagaStatus, Schemas } from '../../api/types';

export const sagaKeys = {
  list: (status: string, type: string) => ['sagas', status, type] as const,
  all: ['sagas'] as const,
  saga: (id: string) => ['saga', id] as const,
};

export const POLL_MS = 1000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The API's saga with its `input` and `progress` (the document: any value) narrowed to what
 *  they are: the checked input object, and `{step, done, total}` or nothing. */
export function sagaOf(v: Schemas['SagaView']): Saga {
  const { input, progress, ...rest } = v;
  const p = isRecord(progress) && typeof progress.step === 'string' && typeof progress.done === 'number' && typeof progress.total === 'number' ? { step: progress.step, done: progress.done, total: progress.total } : null;
  return { ...rest, input: isRecord(input) ? input : {}, progress: p };
}

export function isFinal(status: SagaStatus): boolean {
  return status !== 'running' && status !== 'compensating';
}

export function useSagas(status: string, type: string) {
  return useInfiniteQuery({
    queryKey: sagaKeys.list(status, type),
    initialPageParam: null as string | null,
    getNextPageParam: (last: SagaPage) => last.cursor,
    queryFn: ({ pageParam, signal }) => {
      const query: { status?: string; type?: string; cursor?: string; limit: number } = { limit: 25 };
      if (status) query.status = status;
      if (type) query.type = type;
      if (pageParam) query.cursor = pageParam;
      return unwrap(api.GET('/api/v1/saga/transactions', { params: { query }, signal })).then((p): SagaPage => ({ ...p, transactions: p.transactions.map(sagaOf) }));
    },
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.transactions.some((t) => !isFinal(t.status))) ? POLL_MS * 3 : false),
  });
}

export function useSaga(id: string) {
  return useQuery({
    queryKey: sagaKeys.saga(id),
    queryFn: async ({ signal }) => sagaOf(await unwrap(api.GET('/api/v1/saga/transaction/{id}', { params: { path: { id } }, signal }))),
    refetchInterval: (q) => (q.state.data && !isFinal(q.state.data.status) ? POLL_MS : false),
  });
}

export function useCancelSaga(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/saga/transaction/{id}/cancel', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: sagaKeys.saga(id) }),
  });
}
