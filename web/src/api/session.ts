// The signed-in session: the access token lives in memory only; the refresh token in storage
// (localStorage in the app) so a reload stays signed in. Every API request goes through
// `AuthSession.fetch`, which attaches the access token and, on a 401, refreshes once — one
// refresh shared by every request that was refused meanwhile (refresh tokens rotate: a second
// refresh with the same token would be taken for theft and revoke the session) — and retries
// once. A refresh the API refuses ends the session with a message saying why. Each refresh
// carries a rotation id kept in storage until the new pair is stored: a page that reloads (or
// loses its connection) while the refresh is out sends the same token with the same id, which
// the API takes as a retry rather than a stolen token.
import { ApiError, networkProblem, problemFromResponse, type Problem } from './problem';

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType?: string;
  expiresIn?: number;
  refreshExpiresAt?: string;
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export type SessionEvent = { type: 'tokens' } | { type: 'signedOut'; reason: string | null };

export interface AuthSessionOptions {
  storage: KeyValueStore;
  /** The transport (window.fetch in the app, a fake in tests). */
  fetch: (request: Request) => Promise<Response>;
  /** Absolute URL of POST /api/v1/auth/refresh. */
  refreshUrl: string;
  /** Serialises refreshes across tabs that share the storage (navigator.locks in the app). */
  lock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

export const REFRESH_TOKEN_KEY = 'pyat.refreshToken';
export const ROTATION_ID_KEY = 'pyat.rotationId';

/** A fresh rotation id: 128 random bits, URL-safe. */
export function newRotationId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Why a refused refresh ended the session, in the API's words. */
export function sessionEndedMessage(problem: Problem): string {
  const why = problem.detail ?? problem.title;
  if (/already used/i.test(why)) {
    return `You were signed out for safety: ${why}. This happens when the same sign-in is refreshed twice (for example from another device or a copied token). Sign in again.`;
  }
  return `Your session has ended: ${why}. Sign in again.`;
}

export class AuthSession {
  #access: string | null = null;
  #inflight: Promise<string> | null = null;
  readonly #listeners = new Set<(event: SessionEvent) => void>();
  readonly #opts: AuthSessionOptions;

  constructor(opts: AuthSessionOptions) {
    this.#opts = opts;
  }

  get accessToken(): string | null {
    return this.#access;
  }

  hasRefreshToken(): boolean {
    return Boolean(this.#opts.storage.getItem(REFRESH_TOKEN_KEY));
  }

  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: SessionEvent): void {
    for (const l of [...this.#listeners]) l(event);
  }

  /** Keeps a new pair (sign-in, sign-up, invitation, workspace switch, refresh). */
  setTokens(tokens: Tokens): void {
    this.#access = tokens.accessToken;
    this.#opts.storage.setItem(REFRESH_TOKEN_KEY, tokens.refreshToken);
    this.#opts.storage.removeItem(ROTATION_ID_KEY);
    this.#emit({ type: 'tokens' });
  }

  /** Forgets both tokens; `reason` is shown on the sign-in page (null: the user chose to). */
  signOut(reason: string | null): void {
    const wasSignedIn = this.#access !== null || this.hasRefreshToken();
    this.#access = null;
    this.#opts.storage.removeItem(REFRESH_TOKEN_KEY);
    this.#opts.storage.removeItem(ROTATION_ID_KEY);
    if (wasSignedIn || reason) this.#emit({ type: 'signedOut', reason });
  }

  /** Rotates the pair. Concurrent callers share one request. Resolves to the new access token;
   *  rejects with an ApiError (and signs out when the API refused the refresh token). */
  refresh(): Promise<string> {
    if (!this.#inflight) {
      const run = () => this.#refreshNow();
      const p = this.#opts.lock ? this.#opts.lock('pyat-refresh', run) : run();
      this.#inflight = p.finally(() => {
        this.#inflight = null;
      });
    }
    return this.#inflight;
  }

  async #refreshNow(): Promise<string> {
    // Read at the last moment: another tab may have rotated it while we waited for the lock.
    const refreshToken = this.#opts.storage.getItem(REFRESH_TOKEN_KEY);
    if (!refreshToken) {
      const problem: Problem = { title: 'Unauthorized', status: 401, code: 'unauthorized', detail: 'you are signed out' };
      this.signOut(null);
      throw new ApiError(problem);
    }
    // The id of this rotation outlives the page until its answer is stored (see the top).
    let rotationId = this.#opts.storage.getItem(ROTATION_ID_KEY);
    if (!rotationId) {
      rotationId = newRotationId();
      this.#opts.storage.setItem(ROTATION_ID_KEY, rotationId);
    }
    let res: Response;
    try {
      res = await this.#opts.fetch(
        new Request(this.#opts.refreshUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ refreshToken, rotationId }),
        }),
      );
    } catch (err) {
      throw new ApiError(networkProblem(err));
    }
    if (res.ok) {
      const tokens = (await res.json()) as Tokens;
      this.setTokens(tokens);
      return tokens.accessToken;
    }
    const problem = await problemFromResponse(res);
    // 401: spent, reused, expired or revoked; 422: not a refresh token at all. Either way the
    // session is over. Other statuses (503…) are transient: keep the token and report.
    if (res.status === 401 || res.status === 422) this.signOut(sessionEndedMessage(problem));
    throw new ApiError(problem);
  }

  #send(request: Request, token: string | null): Promise<Response> {
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return this.#opts.fetch(request);
  }

  /** Sends a request as the signed-in user: a 401 refreshes once (shared) and retries once. */
  async fetch(request: Request): Promise<Response> {
    if (request.headers.has('authorization')) return this.#opts.fetch(request);
    // Signed in by a stored refresh token but no access token yet (a reload): refresh first.
    if (this.#access === null && this.hasRefreshToken()) {
      try {
        await this.refresh();
      } catch {
        /* sent without a token; the API answers 401 and the caller shows it */
      }
    }
    const sentWith = this.#access;
    const retry = sentWith ? request.clone() : null;
    const res = await this.#send(request, sentWith);
    if (res.status !== 401 || !retry) return res;

    let fresh: string;
    if (this.#access !== null && this.#access !== sentWith) {
      fresh = this.#access; // someone else refreshed while this request was out
    } else {
      try {
        fresh = await this.refresh();
      } catch {
        return res;
      }
    }
    const second = await this.#send(retry, fresh);
    if (second.status === 401) {
      // A brand-new token refused: the user or the membership is gone.
      const problem = await problemFromResponse(second.clone());
      this.signOut(sessionEndedMessage(problem));
    }
    return second;
  }
}
