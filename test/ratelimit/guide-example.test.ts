// The security guide's "Custom Rate Limiting" example, as written, against the
// shipped bundle: the limits still come from Rego (hatago/decision).
import { RateLimiter } from '../../src/security.js';

describe("the guide's RateLimiter example", () => {
  it('limits per custom key and applies a JavaScript filter rule', async () => {
    const rateLimiter = new RateLimiter({ windowMs: 60000, max: 3 });
    rateLimiter.setKeyGenerator((req) => `${req.user?.id}:${req.ip}`);
    rateLimiter.addRule('expensive-operations', {
      windowMs: 300000, // 5 minutes
      max: 1,
      filter: (req) => req.body?.method?.includes('generate') ?? false,
    });

    const alice = { ip: '10.0.0.1', user: { id: 'alice', roles: ['user'] }, body: { method: 'tools/call' } };
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await rateLimiter.consume(alice)).allowed);
    expect(outcomes).toEqual([true, true, true, false]);

    // Another key has its own budget.
    expect((await rateLimiter.consume({ ...alice, ip: '10.0.0.2' })).allowed).toBe(true);

    const generate = { ip: '10.0.0.3', user: { id: 'bob', roles: ['user'] }, body: { method: 'prompts/generate' } };
    const first = await rateLimiter.consume(generate);
    expect(first.allowed).toBe(true);
    const second = await rateLimiter.consume(generate);
    expect(second.allowed).toBe(false);
    expect(second.limit?.name).toBe('expensive-operations');
    expect(second.error?.code).toBe('ERR_RATE_LIMITED');
    expect(second.headers['Retry-After']).toBeDefined();
  });

  it('check() charges nothing', async () => {
    const limiter = new RateLimiter({ windowMs: 60000, max: 1 });
    const req = { ip: '10.0.0.9', user: null, body: { method: 'tools/list' } };
    expect((await limiter.check(req)).allowed).toBe(true);
    expect((await limiter.check(req)).allowed).toBe(true);
    expect((await limiter.consume(req)).allowed).toBe(true);
    expect((await limiter.consume(req)).allowed).toBe(false);
  });
});
