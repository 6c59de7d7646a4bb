// The RFC 7519 registered claims hatago enforces: exp (required), nbf, iat,
// iss and aud, with `clockTolerance` seconds of skew on the time claims.

import { tokenRejected } from './errors.js';

export interface ClaimRules {
  nowSeconds: number;
  clockTolerance: number;
  issuer?: string;
  audience?: readonly string[];
}

function numericDate(payload: Record<string, unknown>, name: string): number | undefined {
  const v = payload[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw tokenRejected('bad_claims', `${name} must be a NumericDate`);
  return v;
}

export function checkRegisteredClaims(payload: Record<string, unknown>, rules: ClaimRules): void {
  const { nowSeconds: now, clockTolerance: tol } = rules;
  const exp = numericDate(payload, 'exp');
  const nbf = numericDate(payload, 'nbf');
  const iat = numericDate(payload, 'iat');

  // A token without exp would be valid forever; the gateway fails closed.
  if (exp === undefined) throw tokenRejected('bad_claims', 'exp is missing');
  if (exp <= now - tol) throw tokenRejected('expired');
  if (nbf !== undefined && nbf > now + tol) throw tokenRejected('not_yet_valid');
  if (iat !== undefined && iat > now + tol) throw tokenRejected('iat_in_future');

  if (rules.issuer !== undefined && payload.iss !== rules.issuer) {
    throw tokenRejected('wrong_issuer');
  }
  if (rules.audience !== undefined) {
    const aud = payload.aud;
    const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!auds.some((a) => typeof a === 'string' && rules.audience!.includes(a))) {
      throw tokenRejected('wrong_audience');
    }
  }
}
