import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { asProblem } from '../api/problem';
import { ProblemAlert } from '../ui/Alert';

/** What a page that failed to render shows: the problem, never a stack trace. */
export function RouteError() {
  const err = useRouteError();
  const chunkFailed = err instanceof TypeError && /dynamically imported module|Importing a module script failed/i.test(err.message);
  const problem = isRouteErrorResponse(err)
    ? { title: err.status === 404 ? 'Page not found' : err.statusText || 'Error', status: err.status, detail: typeof err.data === 'string' ? err.data : 'This page could not be shown.' }
    : chunkFailed
      ? { title: 'The app was updated', status: 0, detail: 'A newer version of the app is available. Reload the page to continue.' }
      : asProblem(err);
  return (
    <main className="center-page" id="main">
      <div className="card stack" style={{ maxWidth: 560 }}>
        <h1>Something went wrong</h1>
        <ProblemAlert problem={problem} />
        <div className="row">
          <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
            Reload
          </button>
          <Link className="btn" to="/">
            Go to the start page
          </Link>
        </div>
      </div>
    </main>
  );
}
