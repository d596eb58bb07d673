import { Navigate } from 'react-router';
import { asProblem } from '../../api/problem';
import { ProblemAlert } from '../../ui/Alert';
import { Loading } from '../../ui/feedback';
import { useConnection } from './api';

/** `/`: a workspace without Airtable starts with onboarding; the others with their data. */
export function Component() {
  const connection = useConnection();
  if (connection.isPending) return <Loading />;
  if (connection.isError) {
    return (
      <div className="page">
        <ProblemAlert problem={asProblem(connection.error)} />
      </div>
    );
  }
  return <Navigate to={connection.data.status === 'connected' ? '/bases' : '/onboarding'} replace />;
}
