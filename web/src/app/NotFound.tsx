import { Link, useLocation } from 'react-router';
import { EmptyState } from '../ui/feedback';
import { useTitle } from '../ui/useTitle';

export function Component() {
  const { pathname } = useLocation();
  useTitle('Page not found');
  return (
    <div className="page">
      <h1 className="visually-hidden">Page not found</h1>
      <EmptyState title="Page not found" icon="compass" action={<Link className="btn btn-primary" to="/">Go to your data</Link>}>
        There is no page at <code>{pathname}</code>.
      </EmptyState>
    </div>
  );
}
