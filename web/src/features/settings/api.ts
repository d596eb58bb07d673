// Server state of the settings pages: the workspace, members and invitations, API keys,
// budgets and the Airtable connection.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { reread } from '../../lib/query';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import type { Connection, Role } from '../../api/types';
import { recordKeys } from '../records/api';

export const settingsKeys = {
  tenant: ['tenant'] as const,
  members: ['members'] as const,
  apiKeys: ['apiKeys'] as const,
  budgets: ['budgets'] as const,
};

export function useTenant() {
  return useQuery({ queryKey: settingsKeys.tenant, queryFn: ({ signal }) => unwrap(api.GET('/api/v1/tenant', { signal })) });
}

export function useRenameTenant() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.PATCH('/api/v1/tenant', { body: { name } })),
    onSuccess: () => reread(qc, settingsKeys.tenant),
  });
}

export function useMembers() {
  return useQuery({ queryKey: settingsKeys.members, queryFn: ({ signal }) => unwrap(api.GET('/api/v1/tenant/members', { signal })) });
}

export function useInvite() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; role: Role }) => unwrap(api.POST('/api/v1/tenant/members', { body })),
    gcTime: 0, // the invitation link is shown while the page is open, then forgotten
    onSuccess: () => reread(qc, settingsKeys.members),
  });
}

export function useChangeRole() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) =>
      unwrap(api.PATCH('/api/v1/tenant/members/{userId}', { params: { path: { userId } }, body: { role } })),
    onSuccess: () => reread(qc, settingsKeys.members),
  });
}

export function useRemoveMember() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => unwrap(api.DELETE('/api/v1/tenant/members/{userId}', { params: { path: { userId } } })),
    onSuccess: () => reread(qc, settingsKeys.members),
  });
}

export function useWithdrawInvitation() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (invitationId: string) => unwrap(api.DELETE('/api/v1/tenant/invitations/{invitationId}', { params: { path: { invitationId } } })),
    onSuccess: () => reread(qc, settingsKeys.members),
  });
}

export function useApiKeys() {
  return useQuery({
    queryKey: settingsKeys.apiKeys,
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/api-keys', { signal }))).apiKeys,
  });
}

export type CreateKeyBody = components['schemas']['CreateRequest'];

export function useCreateApiKey() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateKeyBody) => unwrap(api.POST('/api/v1/api-keys', { body })),
    gcTime: 0, // the key is shown once, then forgotten
    onSuccess: () => reread(qc, settingsKeys.apiKeys),
  });
}

export function useRevokeApiKey() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (keyId: string) => unwrap(api.DELETE('/api/v1/api-keys/{keyId}', { params: { path: { keyId } } })),
    onSuccess: () => reread(qc, settingsKeys.apiKeys),
  });
}

export function useBudgets() {
  return useQuery({ queryKey: settingsKeys.budgets, queryFn: ({ signal }) => unwrap(api.GET('/api/v1/budgets', { signal })) });
}

export function useSaveBudgets() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: components['schemas']['PutBudgets']) => unwrap(api.PUT('/api/v1/budgets', { body })),
    onSuccess: (data) => qc.setQueryData(settingsKeys.budgets, data),
  });
}

export function useConnect() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => unwrap(api.PUT('/api/v1/connections/airtable', { body: { token } })),
    gcTime: 0, // the token typed in is not kept
    onSuccess: (data) => {
      qc.setQueryData(recordKeys.connection, data);
      void reread(qc, recordKeys.bases);
      qc.removeQueries({ queryKey: ['schema'] });
      qc.removeQueries({ queryKey: ['records'] });
    },
  });
}

export function useDisconnect() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/connections/airtable')),
    onSuccess: () => {
      qc.setQueryData<Connection>(recordKeys.connection, { status: 'not_connected' });
      qc.removeQueries({ queryKey: recordKeys.bases });
      qc.removeQueries({ queryKey: ['schema'] });
      qc.removeQueries({ queryKey: ['records'] });
    },
  });
}
