import { createSanitizer, REDACTED } from '../../../src/log/sanitizer.js';
import { maskDecisionInput, withMaskedClaims } from '../../../src/policy/decision-log/index.js';
import { readReplayLine } from '../../../src/policy/decision-log/index.js';

describe('maskDecisionInput', () => {
  const sanitize = createSanitizer().value;
  const input = {
    contract: 2,
    stage: 'request',
    principal: { sub: 'u1', roles: ['user'], claims: { email: 'a@b.example', tenant: 't1' } },
    request: { method: 'tools/call', name: 'login', arguments: { user: 'ann', password: 'hunter2', note: 'Bearer abc.def' } },
  };

  it('masks every claim value, keeping the keys', () => {
    const m = maskDecisionInput(input, sanitize) as typeof input;
    expect(m.principal.claims).toEqual({ email: REDACTED, tenant: REDACTED });
    expect(m.principal.sub).toBe('u1');
  });

  it('masks secret arguments by name and by pattern, and leaves the original alone', () => {
    const m = maskDecisionInput(input, sanitize) as typeof input;
    expect(m.request.arguments).toEqual({ user: 'ann', password: REDACTED, note: `Bearer ${REDACTED}` });
    expect(input.request.arguments.password).toBe('hunter2');
  });
});

describe('registered claims', () => {
  it('keeps iss, sub, aud, exp, nbf, iat and jti readable, masks every other claim', () => {
    const claims = { iss: 'hatago-hub', sub: 'u1', aud: ['mcp-clients'], exp: 1732816400, nbf: 1732730000, iat: 1732730000, jti: 'b7c1f4a8', email: 'a@b.example' };
    const m = maskDecisionInput({ stage: 'request', principal: { sub: 'u1', claims } }, createSanitizer().value) as { principal: { claims: Record<string, unknown> } };
    expect(m.principal.claims).toEqual({ ...claims, email: REDACTED });
  });

  it('a kept claim still passes through the sanitizer', () => {
    const m = maskDecisionInput({ principal: { sub: 'u1', claims: { iss: 'https://svc:hunter2-pw@idp.example/' } } }, createSanitizer().value) as { principal: { claims: { iss: string } } };
    expect(m.principal.claims.iss).toBe(`https://svc:${REDACTED}@idp.example/`);
  });
});

describe('withMaskedClaims', () => {
  it('masks claim values in a copy of the principal, never in the input it was given', () => {
    const live = { stage: 'request', principal: { sub: 'u1', claims: { email: 'a@b.example' } }, request: { method: 'ping' } };
    const m = withMaskedClaims(live) as typeof live;
    expect(m.principal).toEqual({ sub: 'u1', claims: { email: REDACTED } });
    expect(live.principal.claims.email).toBe('a@b.example');
    expect(m.request).toBe(live.request);
  });

  it('returns inputs without claims as they are', () => {
    const anonymous = { stage: 'request', principal: null };
    expect(withMaskedClaims(anonymous)).toBe(anonymous);
  });
});

describe('readReplayLine', () => {
  it('reads decision-log lines and audit records with metadata.input', () => {
    expect(readReplayLine('{"decisionId":"d1","input":{"stage":"request"}}', 1)).toEqual({ decisionId: 'd1', line: 1, input: { stage: 'request' } });
    expect(readReplayLine('{"decisionId":"d2","metadata":{"input":{"stage":"request"}}}', 2)).toEqual({ decisionId: 'd2', line: 2, input: { stage: 'request' } });
    expect(readReplayLine('{"event":"logout"}', 3)).toBeNull();
    expect(readReplayLine('  ', 4)).toBeNull();
    expect(() => readReplayLine('nope', 5)).toThrow('line 5 is not JSON');
  });
});
