import type { ReactNode } from 'react';
import { asProblem } from '../api/problem';
import { ProblemAlert } from './Alert';
import { Icon, type IconName } from './Icon';

export function Spinner({ label }: { label?: string }) {
  return <span className="spinner" role={label ? 'img' : undefined} aria-label={label} aria-hidden={label ? undefined : true} />;
}

/** A designed loading state (announced politely). */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <Spinner />
      <span>{label}</span>
    </div>
  );
}

/** A query while it loads (Loading with `label`) or once it failed (the API's problem);
 *  nothing once it has data. */
export function QueryState({ query, label }: { query: { isPending: boolean; isError: boolean; error: unknown }; label?: string }) {
  if (query.isError) return <ProblemAlert problem={asProblem(query.error)} />;
  if (query.isPending) return <Loading {...(label ? { label } : {})} />;
  return null;
}

export function EmptyState({ title, children, action, icon }: { title: string; children?: ReactNode; action?: ReactNode; icon?: IconName }) {
  return (
    <div className="empty">
      {icon ? (
        <div className="empty-icon">
          <Icon name={icon} size={28} />
        </div>
      ) : null}
      <h2>{title}</h2>
      {children ? <p>{children}</p> : null}
      {action}
    </div>
  );
}

export function Skeleton({ width = '100%', height = 14 }: { width?: string | number; height?: number }) {
  return <div className="skeleton" style={{ width, height }} aria-hidden="true" />;
}
