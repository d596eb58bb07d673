import type { ReactNode } from 'react';
import { Link } from 'react-router';

export interface Crumb {
  to: string;
  label: ReactNode;
}

/** Where a page stands: links to the pages above it, then its own name (the current page). */
export function Breadcrumbs({ trail, current }: { trail: Crumb[]; current: ReactNode }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumbs">
      <ol>
        {trail.map((c) => (
          <li key={c.to}>
            <Link to={c.to}>{c.label}</Link>
          </li>
        ))}
        <li aria-current="page">{current}</li>
      </ol>
    </nav>
  );
}
