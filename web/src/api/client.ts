// The one API client: typed from the OpenAPI document (openapi-fetch over the generated
// `paths`), every request sent through the signed-in session (access token, one shared refresh
// on 401). Components never call fetch: features wrap these calls in query hooks.
import createClient from 'openapi-fetch';
import type { paths } from './schema';
import { ApiError, networkProblem, problemFromResponse, toProblem } from './problem';
import { AuthSession, type AuthSessionOptions } from './session';

export const origin = window.location.origin;

const options: AuthSessionOptions = {
  storage: window.localStorage,
  fetch: (request) => window.fetch(request),
  refreshUrl: `${origin}/api/v1/auth/refresh`,
};
if (typeof navigator !== 'undefined' && 'locks' in navigator && navigator.locks) {
  // Tabs share the refresh token: one refresh at a time across all of them.
  options.lock = <T,>(name: string, fn: () => Promise<T>) => navigator.locks.request(name, fn) as unknown as Promise<T>;
}

export const session = new AuthSession(options);

export const api = createClient<paths>({ baseUrl: origin, fetch: (request) => session.fetch(request) });

interface Result {
  data?: unknown;
  error?: unknown;
  response: Response;
}

function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/** What an openapi-fetch call answers on success, as the document types it (void for 204s). */
export type Data<R> = [R] extends [{ data?: infer D }] ? ([Exclude<D, undefined>] extends [never] ? void : Exclude<D, undefined>) : never;

/** The data of an openapi-fetch call, typed by the OpenAPI document, or an ApiError carrying
 *  the API's problem. */
export async function unwrap<R extends Result>(call: Promise<R>): Promise<Data<R>> {
  return (await unwrapWithResponse(call)).data;
}

export async function unwrapWithResponse<R extends Result>(call: Promise<R>): Promise<{ data: Data<R>; response: Response }> {
  let r: R;
  try {
    r = await call;
  } catch (err) {
    if (isAbort(err) || err instanceof ApiError) throw err;
    throw new ApiError(networkProblem(err));
  }
  if (!r.response.ok) {
    throw new ApiError(toProblem(r.error, r.response.status, r.response.headers.get('x-request-id')));
  }
  return { data: r.data as Data<R>, response: r.response };
}

/** A raw authenticated request for what openapi-fetch cannot express (a streamed response).
 *  Resolves to an OK response or throws an ApiError with the problem. */
export async function authedStream(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await session.fetch(
      new Request(`${origin}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify(body),
        signal,
      }),
    );
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new ApiError(networkProblem(err));
  }
  if (!res.ok) throw new ApiError(await problemFromResponse(res));
  return res;
}

/** A fresh key per user action, so a retried or double-sent write happens once. */
export function idempotencyKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}-${Math.random().toString(16).slice(2)}`;
}
