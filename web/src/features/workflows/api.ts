// Server state of workflows: the list, one workflow, save (with the version it was read at),
// validate (the schedule's next runs, the API's field errors), run now, enable/pause, delete,
// the webhook secret, the runs (paged and filtered by the API) and one run (polled while it goes
// on), the registry's tools with their input schemas, and the workspace's secrets.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, idempotencyKey, unwrap } from '../../api/client';
import type { RunPage, Schemas, Workflow, WorkflowDefinition } from '../../api/types';
import { reread } from '../../lib/query';

export const workflowKeys = {
  all: ['workflows'] as const,
  workflow: (id: string) => ['workflow', id] as const,
  runs: (id: string, status: string) => ['workflow', id, 'runs', status] as const,
  runsOf: (id: string) => ['workflow', id, 'runs'] as const,
  run: (id: string) => ['run', id] as const,
  tools: ['tools'] as const,
  secrets: ['secrets'] as const,
};

export const POLL_MS = 1000;

export function isRunFinal(status: string): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

/** The API's workflow with its definition's trigger and steps (the document: objects) as the
 *  editor knows them: the API checked them on save. */
export function workflowOf(v: Schemas['WorkflowView']): Workflow {
  return v as unknown as Workflow;
}

export function useWorkflows() {
  return useQuery({
    queryKey: workflowKeys.all,
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/workflows', { params: { query: { limit: 100 } }, signal }))).workflows.map(workflowOf),
  });
}

export function useWorkflow(id: string | undefined) {
  return useQuery({
    queryKey: workflowKeys.workflow(id ?? ''),
    enabled: Boolean(id),
    queryFn: async ({ signal }) => workflowOf(await unwrap(api.GET('/api/v1/workflows/{id}', { params: { path: { id: id ?? '' } }, signal }))),
  });
}

/** The definition a save sends (the API's view carries id, stats… beside it). */
export function definitionOf(w: Pick<Workflow, 'name' | 'trigger' | 'steps' | 'description' | 'timeoutSeconds'>): WorkflowDefinition {
  const d: WorkflowDefinition = { name: w.name, trigger: w.trigger, steps: w.steps };
  if (w.description) d.description = w.description;
  if (typeof w.timeoutSeconds === 'number') d.timeoutSeconds = w.timeoutSeconds;
  return d;
}

export function useSaveWorkflow(id: string | undefined) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ definition, version, enabled }: { definition: WorkflowDefinition; version?: number; enabled?: boolean }) => {
      const body = { ...definition, ...(enabled !== undefined ? { enabled } : {}) } as Record<string, unknown>;
      return workflowOf(
        await (id
          ? unwrap(api.PUT('/api/v1/workflows/{id}', { params: { path: { id } }, body: { ...body, ...(version !== undefined ? { version } : {}) } }))
          : unwrap(api.POST('/api/v1/workflows', { body }))),
      );
    },
    gcTime: 0, // a new webhook's secret is in the answer: shown once, then forgotten
    onSuccess: (saved) => {
      const { webhook, ...rest } = saved;
      // The secret is shown once by the page that got it; never kept in the cache.
      const kept: Workflow = webhook ? { ...rest, webhook: { url: webhook.url, signatureHeader: webhook.signatureHeader, timestampHeader: webhook.timestampHeader } } : rest;
      qc.setQueryData(workflowKeys.workflow(saved.id), kept);
      void reread(qc, workflowKeys.all);
    },
  });
}

/** Enable or pause: a save of the same definition at the same version. */
export function useSetEnabled(workflow: Workflow | undefined) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (enabled: boolean) => {
      if (!workflow) throw new Error('no workflow');
      return workflowOf(
        await unwrap(
          api.PUT('/api/v1/workflows/{id}', { params: { path: { id: workflow.id } }, body: { ...definitionOf(workflow), enabled, version: workflow.version } as Record<string, unknown> }),
        ),
      );
    },
    onSuccess: (saved) => {
      qc.setQueryData(workflowKeys.workflow(saved.id), saved);
      void reread(qc, workflowKeys.all);
    },
  });
}

export function useDeleteWorkflow() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/workflows/{id}', { params: { path: { id } } })),
    onSuccess: (_r, id) => {
      qc.setQueryData<Workflow[]>(workflowKeys.all, (ws) => ws?.filter((w) => w.id !== id));
      qc.removeQueries({ queryKey: workflowKeys.workflow(id) });
    },
  });
}

export function validateWorkflow(definition: WorkflowDefinition, signal?: AbortSignal) {
  return unwrap(api.POST('/api/v1/workflows/validate', { body: definition as unknown as Record<string, unknown>, ...(signal ? { signal } : {}) }));
}

export function useTrigger(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ data, key }: { data: Record<string, unknown>; key: string }) =>
      unwrap(api.POST('/api/v1/workflows/{id}/trigger', { params: { path: { id } }, body: { data }, headers: { 'idempotency-key': key } })),
    onSuccess: () => reread(qc, workflowKeys.runsOf(id)),
  });
}

export function useRotateSecret(id: string) {
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/workflows/{id}/webhook/secret', { params: { path: { id } } })),
    gcTime: 0, // shown once, then forgotten
  });
}

export function useRuns(id: string, status: string) {
  return useInfiniteQuery({
    queryKey: workflowKeys.runs(id, status),
    initialPageParam: null as string | null,
    getNextPageParam: (last: RunPage) => last.cursor,
    queryFn: ({ pageParam, signal }) => {
      const query: { status?: string; cursor?: string; limit: number } = { limit: 20 };
      if (status) query.status = status;
      if (pageParam) query.cursor = pageParam;
      return unwrap(api.GET('/api/v1/workflows/{id}/executions', { params: { path: { id }, query }, signal }));
    },
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.executions.some((e) => !isRunFinal(e.status))) ? POLL_MS * 2 : false),
  });
}

export function useRun(executionId: string) {
  return useQuery({
    queryKey: workflowKeys.run(executionId),
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/workflows/executions/{executionId}', { params: { path: { executionId } }, signal })),
    refetchInterval: (q) => (q.state.data && !isRunFinal(q.state.data.status) ? POLL_MS : false),
  });
}

export function useCancelRun(executionId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/workflows/executions/{executionId}/cancel', { params: { path: { executionId } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: workflowKeys.run(executionId) }),
  });
}

/** The registry's tools with their input schemas (the caller's role decides which). */
export function useTools() {
  return useQuery({
    queryKey: workflowKeys.tools,
    staleTime: Infinity,
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/tools', { signal }))).tools,
  });
}

export function useSecrets() {
  return useQuery({
    queryKey: workflowKeys.secrets,
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/secrets', { signal }))).secrets,
  });
}

export function usePutSecret() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ name, value }: { name: string; value: string }) => unwrap(api.PUT('/api/v1/secrets/{name}', { params: { path: { name } }, body: { value } })),
    gcTime: 0, // the value typed in is not kept
    onSuccess: () => reread(qc, workflowKeys.secrets),
  });
}

export function useDeleteSecret() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.DELETE('/api/v1/secrets/{name}', { params: { path: { name } } })),
    onSuccess: () => reread(qc, workflowKeys.secrets),
  });
}

export { idempotencyKey };
