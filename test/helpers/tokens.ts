// An HS256 token as the hub's own issuer would sign it: issued now, valid
// ten minutes; `claims` may override iat and exp.
import { SignJWT } from 'jose';

export function hs256Token(secret: string, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 600, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}
