// Server state of the signed-out pages: what an invitation offers (no sign-in needed).
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';

export function useInvitationPreview(token: string) {
  return useQuery({
    queryKey: ['invitation', token],
    enabled: Boolean(token),
    retry: false,
    staleTime: 5 * 60_000,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/tenant/invitations/preview', { params: { query: { token } }, signal })),
  });
}
