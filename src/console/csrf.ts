// CSRF protection of console actions. The console authenticates with a
// Bearer token the page holds in sessionStorage (no cookie), so a foreign
// page cannot make the browser send it; on top of that every POST must
// carry the CSRF token bound to that Bearer token (an HMAC under a key of
// this process) in X-Hatago-CSRF, and an Origin naming this host. A request
// that fails either is refused before the policy is asked.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HatagoError } from '../errors/index.js';
import type { Principal } from '../hub/types.js';

export const CSRF_HEADER = 'x-hatago-csrf';

export class CsrfTokens {
  private readonly key = randomBytes(32);

  /** The token of one session: its jti, else a digest of the Bearer token itself. */
  tokenFor(principal: Principal | null, req: IncomingMessage): string {
    const jti = principal?.claims.jti;
    const id = typeof jti === 'string' && jti !== '' ? `jti:${jti}` : `token:${createHash('sha256').update(req.headers.authorization ?? '').digest('base64url')}`;
    return createHmac('sha256', this.key).update(`hatago-console-csrf\u0000${id}`).digest('base64url');
  }

  /** Throws ERR_CONSOLE_CSRF unless the request is same-origin and carries its session's token. */
  check(principal: Principal | null, req: IncomingMessage): void {
    const origin = req.headers.origin;
    let sameOrigin = false;
    try {
      sameOrigin = typeof origin === 'string' && new URL(origin).host === req.headers.host;
    } catch {
      sameOrigin = false;
    }
    const site = req.headers['sec-fetch-site'];
    if (!sameOrigin || (site !== undefined && site !== 'same-origin')) {
      throw new HatagoError('ERR_CONSOLE_CSRF', { data: { reason: 'origin' } });
    }
    const sent = req.headers[CSRF_HEADER];
    const want = Buffer.from(this.tokenFor(principal, req));
    const got = Buffer.from(typeof sent === 'string' ? sent : '');
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw new HatagoError('ERR_CONSOLE_CSRF', { data: { reason: 'token' } });
  }
}
