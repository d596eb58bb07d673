import type { QueryClient, QueryKey } from '@tanstack/react-query';

/** Re-reads server state after a write. A first load still in flight would otherwise answer the
 *  invalidation with its own, older result (TanStack Query joins an in-flight first fetch instead
 *  of restarting it): cancel it, then read again. */
export async function reread(qc: QueryClient, queryKey: QueryKey): Promise<void> {
  await qc.cancelQueries({ queryKey });
  await qc.invalidateQueries({ queryKey });
}
