// One GET/POST to the provider with a timeout. Network failures, timeouts,
// 5xx and non-JSON bodies are "provider unavailable"; the caller decides what
// a 4xx means (for userinfo, a refused token).

import { providerUnavailable } from './errors.js';

export interface JsonResponse {
  status: number;
  body: unknown;
}

export async function fetchJson(url: string, init: RequestInit & { timeoutMs: number; what: string }): Promise<JsonResponse> {
  const { timeoutMs, what, ...rest } = init;
  let res: Response;
  try {
    res = await fetch(url, { ...rest, redirect: 'error', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json', ...rest.headers } });
  } catch (cause) {
    throw providerUnavailable(`${what}: ${(cause as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable'}`, cause);
  }
  if (res.status >= 500) {
    await res.body?.cancel();
    throw providerUnavailable(`${what}: HTTP ${res.status}`);
  }
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch (cause) {
    // A 401/403 from userinfo may have no JSON body; only a 2xx must be JSON.
    if (res.ok) throw providerUnavailable(`${what}: response is not JSON`, cause);
  }
  return { status: res.status, body };
}
