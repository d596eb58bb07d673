import { useEffect } from 'react';
import { Link, useParams } from 'react-router';
import { asProblem } from '../../api/problem';
import { ProblemAlert } from '../../ui/Alert';
import { Breadcrumbs } from '../../ui/Breadcrumbs';
import { EmptyState } from '../../ui/feedback';
import { useTitle } from '../../ui/useTitle';
import { useBases, useSchema } from './api';
import { TileSkeletons } from './BasesPage';

export function Component() {
  const { baseId = '' } = useParams();
  const bases = useBases();
  const schema = useSchema(baseId);
  const base = bases.data?.find((b) => b.id === baseId);
  const name = base?.name ?? baseId;
  useTitle(name);
  // The grid is the likely next page: fetch its code while the user reads the list.
  useEffect(() => {
    const t = window.setTimeout(() => void import('./RecordsPage'), 300);
    return () => window.clearTimeout(t);
  }, []);

  return (
    <div className="page">
      <Breadcrumbs trail={[{ to: '/bases', label: 'Bases' }]} current={name} />
      <div className="page-header">
        <div>
          <h1>{name}</h1>
          <p className="muted">Tables of this base, in Airtable's order.</p>
        </div>
        <Link className="btn" to={`/chat?base=${encodeURIComponent(baseId)}`}>
          Ask about this base
        </Link>
      </div>
      {schema.isPending ? (
        <div role="status" aria-label="Loading tables">
          <TileSkeletons />
        </div>
      ) : null}
      {schema.isError ? <ProblemAlert problem={asProblem(schema.error)} action={<button className="btn btn-sm" onClick={() => void schema.refetch()}>Try again</button>} /> : null}
      {schema.data && schema.data.length === 0 ? <EmptyState title="No tables" icon="inbox">This base has no tables yet.</EmptyState> : null}
      {schema.data && schema.data.length > 0 ? (
        <ul className="tile-grid">
          {schema.data.map((t) => (
            <li key={t.id}>
              <Link className="tile" to={`/bases/${baseId}/tables/${t.id}`}>
                <span className="tile-title">{t.name}</span>
                <span className="muted">
                  {t.fields.length} {t.fields.length === 1 ? 'field' : 'fields'}
                </span>
                {t.description ? <span className="muted">{t.description}</span> : null}
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
