// Server state of sagas (imports, bulk updates, syncs): the list, filtered and paged by the
// API, and one transaction, polled while it runs or compensates.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrapAs } from '../../api/client';
import type { Saga, SagaPage, SagaStatus } from '../../api/types';

export const sagaKeys = {
  list: (status: string, type: string) => ['sagas', status, type] as const,
  all: ['sagas'] as const,
  saga: (id: string) => ['saga', id] as const,
};

export const POLL_MS = 1000;

/** The saga's status as the app shows it. The first step's compensation always runs last, so
 *  once it is logged the rollback is over: a saga still `compensating` then, with a failed
 *  compensation in its log, is `compensation_failed` (saga-steps before 1b6fa20 set `compensating`
 *  again when the next compensation started, and never back; harmless with the fixed worker). */
export function effectiveStatus(s: Saga): SagaStatus {
  const first = s.steps[0]?.name;
  if (s.status === 'compensating' && first && s.compensationLog.some((l) => l.step === first) && s.compensationLog.some((l) => l.outcome === 'failed')) {
    return 'compensation_failed';
  }
  return s.status;
}

/** The saga with its effective status (see effectiveStatus). */
export function withEffectiveStatus(s: Saga): Saga {
  const status = effectiveStatus(s);
  return status === s.status ? s : { ...s, status };
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
      return unwrapAs<SagaPage>(api.GET('/api/v1/saga/transactions', { params: { query }, signal })).then((p) => ({ ...p, transactions: p.transactions.map(withEffectiveStatus) }));
    },
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.transactions.some((t) => !isFinal(t.status))) ? POLL_MS * 3 : false),
  });
}

export function useSaga(id: string) {
  return useQuery({
    queryKey: sagaKeys.saga(id),
    queryFn: async ({ signal }) => withEffectiveStatus(await unwrapAs<Saga>(api.GET('/api/v1/saga/transaction/{id}', { params: { path: { id } }, signal }))),
    refetchInterval: (q) => (q.state.data && !isFinal(q.state.data.status) ? POLL_MS : false),
  });
}

export function useCancelSaga(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrapAs<unknown>(api.POST('/api/v1/saga/transaction/{id}/cancel', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: sagaKeys.saga(id) }),
  });
}
