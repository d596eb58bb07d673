// Server state of the usage page: the usage report (per day or per hour) and the cost report
// of one period, as /api/v1/analytics/* give them.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';

export type Period = '24h' | '7d' | '30d' | '90d';

export const PERIODS: { id: Period; label: string; days: number }[] = [
  { id: '24h', label: '24 hours', days: 1 },
  { id: '7d', label: '7 days', days: 7 },
  { id: '30d', label: '30 days', days: 30 },
  { id: '90d', label: '90 days', days: 90 },
];

/** The first day (UTC, `YYYY-MM-DD`) of a period of `days` ending today. */
export function firstDay(days: number, now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  return d.toISOString().slice(0, 10);
}

function range(period: Period): { from?: string; granularity: 'day' | 'hour' } {
  if (period === '24h') return { granularity: 'hour' };
  return { from: firstDay(PERIODS.find((p) => p.id === period)?.days ?? 7), granularity: 'day' };
}

export function useUsage(period: Period) {
  return useQuery({
    queryKey: ['analytics', 'usage', period],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/analytics/usage', { params: { query: range(period) }, signal })),
  });
}

export function useCosts(period: Period) {
  const from = period === '24h' ? new Date(Date.now() - 24 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') : range(period).from;
  return useQuery({
    queryKey: ['analytics', 'costs', period],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/analytics/costs', { params: { query: from ? { from } : {} }, signal })),
  });
}
