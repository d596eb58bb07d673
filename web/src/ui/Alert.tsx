import type { ReactNode } from 'react';
import type { Problem } from '../api/problem';

type Tone = 'danger' | 'success' | 'warning' | 'info';

export function Alert({ tone = 'info', title, children, role, action }: { tone?: Tone; title?: ReactNode; children?: ReactNode; role?: 'alert' | 'status'; action?: ReactNode }) {
  return (
    <div className={`alert alert-${tone}`} role={role}>
      <div className="alert-body">
        {title ? <p className="alert-title">{title}</p> : null}
        {children}
      </div>
      {action}
    </div>
  );
}

/** A failure in the API's words: its title, detail and field errors, and the request id to
 *  quote to support. */
export function ProblemAlert({ problem, action, title }: { problem: Problem; action?: ReactNode; title?: string | undefined }) {
  return (
    <Alert tone="danger" role="alert" title={title ?? problem.title} action={action}>
      {problem.detail ? <p>{title ? `${problem.title}: ${problem.detail}` : problem.detail}</p> : null}
      {problem.errors && problem.errors.length > 0 ? (
        <ul>
          {problem.errors.map((e) => (
            <li key={`${e.field}:${e.message}`}>
              <strong>{e.field}</strong> {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {problem.requestId ? <p className="small muted">Request id: <span className="mono">{problem.requestId}</span></p> : null}
    </Alert>
  );
}
