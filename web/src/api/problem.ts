// RFC 9457 problems: every failure the app shows is one of these, with the API's own title and
// detail (or, for a network failure, one of ours worded the same way).
import type { components } from './schema';

export type Problem = Omit<components['schemas']['Problem'], 'type' | 'code'> & {
  type?: string;
  code?: string;
};

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = 'ApiError';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string | undefined {
    return this.problem.code;
  }
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turns whatever an error response carried into a problem (the API always sends one; a proxy
 *  in between may not). */
export function toProblem(body: unknown, status: number, requestId?: string | null): Problem {
  if (isRecord(body) && typeof body.title === 'string') {
    const p: Problem = {
      title: body.title,
      status: typeof body.status === 'number' ? body.status : status,
    };
    if (typeof body.detail === 'string') p.detail = body.detail;
    if (typeof body.type === 'string') p.type = body.type;
    if (typeof body.code === 'string') p.code = body.code;
    if (typeof body.requestId === 'string') p.requestId = body.requestId;
    else if (requestId) p.requestId = requestId;
    if (typeof body.airtableType === 'string') p.airtableType = body.airtableType;
    if (Array.isArray(body.errors)) {
      p.errors = body.errors.filter(isRecord).map((e) => ({
        field: String(e.field ?? ''),
        message: String(e.message ?? ''),
      }));
    }
    return p;
  }
  const p: Problem = {
    title: STATUS_TITLES[status] ?? `HTTP ${status}`,
    status,
    detail: typeof body === 'string' && body.trim() && body.length < 300 ? body.trim() : 'The server answered with an unexpected response.',
  };
  if (requestId) p.requestId = requestId;
  return p;
}

export async function problemFromResponse(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return toProblem(body, res.status, res.headers.get('x-request-id'));
}

export function networkProblem(err: unknown): Problem {
  const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
  return {
    title: 'Network error',
    status: 0,
    code: 'network',
    detail: offline
      ? 'You appear to be offline. Check your connection and try again.'
      : `The server could not be reached${err instanceof Error && err.message ? ` (${err.message})` : ''}. Try again in a moment.`,
  };
}

/** The problem behind any thrown value (ApiError, an abort, a bug). */
export function asProblem(err: unknown): Problem {
  if (err instanceof ApiError) return err.problem;
  if (err instanceof DOMException && err.name === 'AbortError') {
    return { title: 'Cancelled', status: 0, code: 'aborted', detail: 'The request was cancelled.' };
  }
  if (err instanceof TypeError) return networkProblem(err);
  return {
    title: 'Something went wrong',
    status: 0,
    code: 'client_error',
    detail: err instanceof Error ? err.message : 'An unexpected error happened in the app.',
  };
}

/** The message of a field error (422), if the problem names that field. */
export function fieldError(problem: Problem | null | undefined, field: string): string | undefined {
  return problem?.errors?.find((e) => e.field === field)?.message;
}
