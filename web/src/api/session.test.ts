import { describe, expect, it, vi } from 'vitest';
import { AuthSession, REFRESH_TOKEN_KEY, ROTATION_ID_KEY, type KeyValueStore, type SessionEvent } from './session';

const ORIGIN = 'http://app.test';

function memoryStore(initial: Record<string, string> = {}): KeyValueStore & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

function json(status: number, body: unknown, type = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });
}

function problem(status: number, detail: string): Response {
  return json(status, { title: status === 401 ? 'Unauthorized' : 'Error', status, detail, code: 'unauthorized' }, 'application/problem+json');
}

/** A fake API: access tokens `at-N` are valid when N is the current generation; refresh tokens
 *  rotate and a reused one revokes the session, as the real one does. */
function fakeApi() {
  let generation = 1;
  let revoked = false;
  const calls = { refresh: 0, data: 0 };
  const bodies: string[] = [];
  const fetch = vi.fn(async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    // let other requests interleave, as the network does
    await new Promise((r) => setTimeout(r, 5));
    if (url.pathname === '/api/v1/auth/refresh') {
      calls.refresh++;
      const { refreshToken } = (await req.json()) as { refreshToken: string };
      if (revoked) return problem(401, 'the refresh token is invalid, expired or revoked');
      if (refreshToken !== `rt-${generation}`) {
        revoked = true;
        return problem(401, 'this refresh token was already used; the session has been revoked');
      }
      generation++;
      return json(200, { accessToken: `at-${generation}`, refreshToken: `rt-${generation}`, tokenType: 'Bearer', expiresIn: 900 });
    }
    calls.data++;
    if (req.method !== 'GET') bodies.push(await req.text());
    const auth = req.headers.get('authorization');
    if (auth !== `Bearer at-${generation}` || revoked) return problem(401, 'the access token is invalid or expired');
    return json(200, { ok: true, path: url.pathname });
  });
  return {
    fetch,
    calls,
    bodies,
  };
}

function session(api: ReturnType<typeof fakeApi>, store = memoryStore({ [REFRESH_TOKEN_KEY]: 'rt-1' })) {
  const s = new AuthSession({ storage: store, fetch: api.fetch, refreshUrl: `${ORIGIN}/api/v1/auth/refresh` });
  const events: SessionEvent[] = [];
  s.subscribe((e) => events.push(e));
  return { s, store, events };
}

describe('AuthSession', () => {
  it('refreshes on start when only a refresh token is stored (a reload), then sends the new access token', async () => {
    const api = fakeApi();
    const { s, store } = session(api);
    const res = await s.fetch(new Request(`${ORIGIN}/api/v1/tenant`));
    expect(res.status).toBe(200);
    expect(api.calls.refresh).toBe(1);
    expect(s.accessToken).toBe('at-2');
    expect(store.getItem(REFRESH_TOKEN_KEY)).toBe('rt-2');
  });

  it('shares one refresh between concurrent requests refused with 401, and retries each once with the same body', async () => {
    const api = fakeApi();
    const { s } = session(api);
    s.setTokens({ accessToken: 'at-0-stale', refreshToken: 'rt-1' });
    const bodies = ['{"a":1}', '{"b":2}', '{"c":3}'];
    const results = await Promise.all([
      ...bodies.map((body) => s.fetch(new Request(`${ORIGIN}/api/v1/records`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }))),
      s.fetch(new Request(`${ORIGIN}/api/v1/tenant`)),
      s.fetch(new Request(`${ORIGIN}/api/v1/bases`)),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(api.calls.refresh).toBe(1);
    // each POST sent twice (refused, then retried), with its own body both times
    for (const body of bodies) expect(api.bodies.filter((b) => b === body)).toHaveLength(2);
    expect(s.accessToken).toBe('at-2');
  });

  it('does not refresh for requests sent without a token (a wrong password is just a 401)', async () => {
    const api = fakeApi();
    const store = memoryStore();
    const { s, events } = session(api, store);
    const res = await s.fetch(new Request(`${ORIGIN}/api/v1/auth/login`, { method: 'POST', body: '{}' }));
    expect(res.status).toBe(401);
    expect(api.calls.refresh).toBe(0);
    expect(events).toEqual([]);
  });

  it('signs out with a clear message when the refresh token was already used', async () => {
    const api = fakeApi();
    const { s, store, events } = session(api);
    s.setTokens({ accessToken: 'at-stale', refreshToken: 'rt-0' }); // an old, spent token
    const res = await s.fetch(new Request(`${ORIGIN}/api/v1/tenant`));
    expect(res.status).toBe(401);
    expect(api.calls.refresh).toBe(1);
    expect(s.accessToken).toBeNull();
    expect(store.getItem(REFRESH_TOKEN_KEY)).toBeNull();
    const out = events.find((e) => e.type === 'signedOut');
    expect(out).toBeDefined();
    expect(out && out.type === 'signedOut' && out.reason).toMatch(/already used; the session has been revoked/);
    expect(out && out.type === 'signedOut' && out.reason).toMatch(/Sign in again/);
  });

  it('a refresh that fails for a network reason keeps the session', async () => {
    const store = memoryStore({ [REFRESH_TOKEN_KEY]: 'rt-1' });
    const s = new AuthSession({
      storage: store,
      refreshUrl: `${ORIGIN}/api/v1/auth/refresh`,
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(s.refresh()).rejects.toMatchObject({ problem: { title: 'Network error' } });
    expect(store.getItem(REFRESH_TOKEN_KEY)).toBe('rt-1');
  });

  it('a refresh whose answer was lost is sent again with the same rotation id; a stored answer starts a new id', async () => {
    const store = memoryStore({ [REFRESH_TOKEN_KEY]: 'rt-1' });
    const sent: { refreshToken: string; rotationId: string }[] = [];
    let loseAnswer = true;
    const fetch = async (req: Request): Promise<Response> => {
      sent.push((await req.json()) as { refreshToken: string; rotationId: string });
      if (loseAnswer) {
        loseAnswer = false;
        throw new TypeError('Failed to fetch'); // the API rotated, the page never heard
      }
      return json(200, { accessToken: `at-${sent.length}`, refreshToken: `rt-${sent.length + 1}` });
    };
    const opts = { storage: store, fetch, refreshUrl: `${ORIGIN}/api/v1/auth/refresh` };
    await expect(new AuthSession(opts).refresh()).rejects.toMatchObject({ problem: { title: 'Network error' } });
    // The page reloads: a new session object over the same storage.
    await expect(new AuthSession(opts).refresh()).resolves.toBe('at-2');
    expect(sent[1]).toEqual(sent[0]);
    expect(sent[0]?.rotationId).toMatch(/^[0-9a-f]{32}$/);
    expect(store.getItem(ROTATION_ID_KEY)).toBeNull();
    await new AuthSession(opts).refresh();
    expect(sent[2]?.refreshToken).toBe('rt-3');
    expect(sent[2]?.rotationId).not.toBe(sent[0]?.rotationId);
  });

  it('concurrent refresh() calls make one request and get the same token', async () => {
    const api = fakeApi();
    const { s } = session(api);
    const [a, b, c] = await Promise.all([s.refresh(), s.refresh(), s.refresh()]);
    expect([a, b, c]).toEqual(['at-2', 'at-2', 'at-2']);
    expect(api.calls.refresh).toBe(1);
    // a later refresh is a new flight with the rotated token
    await expect(s.refresh()).resolves.toBe('at-3');
    expect(api.calls.refresh).toBe(2);
  });

  it('signOut forgets both tokens and tells listeners why', () => {
    const api = fakeApi();
    const { s, store, events } = session(api);
    s.setTokens({ accessToken: 'at-1', refreshToken: 'rt-1' });
    s.signOut(null);
    expect(s.accessToken).toBeNull();
    expect(store.getItem(REFRESH_TOKEN_KEY)).toBeNull();
    expect(store.getItem(ROTATION_ID_KEY)).toBeNull();
    expect(events.at(-1)).toEqual({ type: 'signedOut', reason: null });
  });
});
