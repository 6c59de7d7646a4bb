// The hub's console API, same origin. The token lives in sessionStorage
// (this tab only, gone when it closes) and goes out as a Bearer header;
// actions also send the CSRF token of the session (X-Hatago-CSRF).

const TOKEN_KEY = 'hatago.console.token';
let csrf = null;

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => { sessionStorage.removeItem(TOKEN_KEY); csrf = null; },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function parse(res) {
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (res.ok) return body;
  const err = body && body.error;
  throw new ApiError(res.status, err?.data?.code ?? `HTTP_${res.status}`, err?.message ?? `HTTP ${res.status}`);
}

function headers(extra = {}) {
  const t = token.get();
  return { Accept: 'application/json', ...(t ? { Authorization: `Bearer ${t}` } : {}), ...extra };
}

export async function get(path) {
  return parse(await fetch(path, { headers: headers(), credentials: 'omit', cache: 'no-store' }));
}

/** A POST to the console API; on a stale CSRF token (another hub, a restart) it fetches a new one and retries once. */
export async function post(path, body, retried = false) {
  if (csrf === null) await session();
  const res = await fetch(path, { method: 'POST', headers: headers({ 'Content-Type': 'application/json', 'X-Hatago-CSRF': csrf }), body: JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  try {
    return await parse(res);
  } catch (err) {
    if (!retried && err instanceof ApiError && err.code === 'ERR_CONSOLE_CSRF') {
      csrf = null;
      return post(path, body, true);
    }
    throw err;
  }
}

export async function session() {
  const s = await get('/console/api/session');
  csrf = s.csrf;
  return s;
}

export async function login(username, password) {
  const res = await fetch('/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ username, password }), credentials: 'omit' });
  const body = await parse(res);
  token.set(body.token);
}

export async function logout() {
  const t = token.get();
  token.clear();
  if (t) await fetch('/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${t}` }, credentials: 'omit' }).catch(() => undefined);
}

/**
 * The live stream: server-sent events read with fetch (EventSource cannot
 * send a Bearer header). Calls onEvent(name, data) per event; resolves when
 * the stream ends, rejects when it cannot be opened or breaks.
 */
export async function stream(onEvent, signal) {
  const res = await fetch('/console/api/stream', { headers: headers({ Accept: 'text/event-stream' }), credentials: 'omit', cache: 'no-store', signal });
  if (!res.ok) await parse(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let name = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}
