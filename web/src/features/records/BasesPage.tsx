import { Link } from 'react-router';
import { asProblem } from '../../api/problem';
import { ProblemAlert } from '../../ui/Alert';
import { EmptyState, Skeleton } from '../../ui/feedback';
import { useTitle } from '../../ui/useTitle';
import { useBases, useConnection } from './api';

export function TileSkeletons({ count = 3 }: { count?: number }) {
  return (
    <ul className="tile-grid" aria-hidden="true">
      {Array.from({ length: count }, (_, i) => (
        <li key={i} className="tile">
          <Skeleton width="60%" height={18} />
          <Skeleton width="40%" />
        </li>
      ))}
    </ul>
  );
}

export function Component() {
  useTitle('Bases');
  const connection = useConnection();
  const connected = connection.data?.status === 'connected';
  const bases = useBases(connected);

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Bases</h1>
          <p className="muted">The Airtable bases your workspace's token can see.</p>
        </div>
        {connected ? (
          <Link className="btn" to="/settings/airtable">
            Airtable connection
          </Link>
        ) : null}
      </div>
      {connection.isError ? <ProblemAlert problem={asProblem(connection.error)} /> : null}
      {connection.data && !connected ? (
        <EmptyState
          icon="plug"
          title="Airtable is not connected yet"
          action={
            <Link className="btn btn-primary" to="/onboarding">
              Connect Airtable
            </Link>
          }
        >
          Connect a personal access token to see your bases here.
        </EmptyState>
      ) : null}
      {connection.isPending || (connected && bases.isPending) ? (
        <div role="status" aria-label="Loading bases">
          <TileSkeletons />
        </div>
      ) : null}
      {bases.isError ? <ProblemAlert problem={asProblem(bases.error)} action={<button className="btn btn-sm" onClick={() => void bases.refetch()}>Try again</button>} /> : null}
      {bases.data && bases.data.length === 0 ? (
        <EmptyState icon="database" title="No bases">
          The connected token sees no bases. Give it access to a base in Airtable's token settings, then reconnect.
        </EmptyState>
      ) : null}
      {bases.data && bases.data.length > 0 ? (
        <ul className="tile-grid">
          {bases.data.map((b) => (
            <li key={b.id}>
              <Link className="tile" to={`/bases/${b.id}`}>
                <span className="tile-title">{b.name}</span>
                <span className="muted mono">{b.id}</span>
                <span className="muted">Access: {b.permissionLevel}</span>
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
