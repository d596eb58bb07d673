import { Spinner } from './feedback';

const TONES: Record<string, string> = {
  processed: 'success',
  completed: 'success',
  succeeded: 'success',
  done: 'success',
  enabled: 'success',
  undone: 'warning',
  compensated: 'warning',
  cancelled: 'warning',
  stopped: 'warning',
  skipped: 'neutral',
  paused: 'neutral',
  pending: 'neutral',
  waiting: 'accent',
  uploaded: 'accent',
  processing: 'accent',
  running: 'accent',
  compensating: 'warning',
  undoing: 'warning',
  failed: 'danger',
  undo_failed: 'danger',
  compensation_failed: 'danger',
};

const LIVE = new Set(['uploaded', 'processing', 'running', 'compensating', 'undoing', 'waiting']);

/** A status as a coloured badge with its word (never colour alone); live ones spin. */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const tone = TONES[status] ?? 'neutral';
  return (
    <span className={`badge${tone === 'neutral' ? '' : ` badge-${tone}`}`} data-status={status}>
      {LIVE.has(status) ? <Spinner /> : null}
      {label ?? status.replace(/_/g, ' ')}
    </span>
  );
}
