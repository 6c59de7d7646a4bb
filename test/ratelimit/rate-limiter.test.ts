import { MemoryStore, RateLimiter, rateLimitConfigFromEnv, type RateLimitRequest, type WasmLimitsPolicy } from '../../src/ratelimit/index.js';
import { loadRatelimitPolicy } from './helpers.js';

// RateLimiter with the real Rego package compiled to wasm: the limits (which
// rules, which key, which max) come from hatago.ratelimit; the runtime counts.

const T0 = 1_700_000_000_000;
let policy: WasmLimitsPolicy;
beforeAll(async () => {
  policy = await loadRatelimitPolicy();
});

function limiter(opts: ConstructorParameters<typeof RateLimiter>[0] = {}): { rl: RateLimiter; clock: { now: number } } {
  const clock = { now: T0 };
  return { rl: new RateLimiter({ policy, clock: () => clock.now, ...opts }), clock };
}

const alice = (ip = '10.0.0.1'): RateLimitRequest => ({ ip, user: { id: 'alice', roles: ['user'] }, method: 'tools/call', server: 'fs', name: 'read_file' });
const bob = (ip = '10.0.0.1'): RateLimitRequest => ({ ip, user: { id: 'bob', roles: ['user'] }, method: 'tools/call', server: 'fs', name: 'read_file' });
const anon = (ip: string): RateLimitRequest => ({ ip, user: null, method: 'tools/call', server: 'fs', name: 'read_file' });

async function admitted(rl: RateLimiter, req: RateLimitRequest, n: number): Promise<number> {
  let k = 0;
  for (let i = 0; i < n; i++) if ((await rl.consume(req)).allowed) k++;
  return k;
}

describe('RateLimiter with the Rego policy', () => {
  it('the guide rules from the environment: per-user and per-ip keys', async () => {
    const cfg = rateLimitConfigFromEnv(undefined, { HATAGO_RATE_LIMIT_MAX: '5', HATAGO_RATE_LIMIT_USER_MAX: '3' });
    const { rl } = limiter({ rules: cfg.rules! });
    expect(rl.limitsFor(alice())).toEqual([
      { name: 'global', key: 'global:ip:10.0.0.1', windowMs: 60000, max: 5 },
      { name: 'per-user', key: 'per-user:user:alice', windowMs: 60000, max: 3 },
    ]);
    expect(await admitted(rl, alice(), 5)).toBe(3); // per-user stops alice
    expect(await admitted(rl, bob(), 5)).toBe(2); // bob has his own 3, but the ip has 2 left
    expect(await admitted(rl, anon('10.0.0.2'), 5)).toBe(3); // anonymous: per-user falls back to the ip
    expect(rl.limitsFor(anon('10.0.0.2'))[1]!.key).toBe('per-user:ip:10.0.0.2');
    const refused = await rl.consume(alice('10.0.0.9'));
    expect(refused.error!.code).toBe('ERR_RATE_LIMITED');
    expect(refused.error!.data).toEqual({ limit: 'per-user', retryAfter: 60 });
  });

  it('filters: tool-calls applies to tools/call only', async () => {
    const { rl } = limiter({ rules: [{ name: 'tool-calls', windowMs: 1000, max: 1, keyGenerator: 'user', filter: 'mcp:tools:call' }] });
    expect((await rl.consume(alice())).allowed).toBe(true);
    expect((await rl.consume(alice())).allowed).toBe(false);
    const list = { ...alice(), method: 'tools/list', server: null, name: null };
    expect(rl.limitsFor(list)).toEqual([]);
    expect((await rl.consume(list)).allowed).toBe(true);
  });

  it('tiers: the max follows the caller highest role', async () => {
    const { rl } = limiter({ rules: [{ name: 'per-user', windowMs: 60000, max: 1, keyGenerator: 'user', tiers: { readonly: 2, user: 4, admin: 8 } }] });
    const as = (roles: string[]): RateLimitRequest => ({ ip: '10.0.0.1', user: { id: roles.join('+') || 'none', roles }, method: 'tools/list' });
    expect(await admitted(rl, as(['readonly']), 10)).toBe(2);
    expect(await admitted(rl, as(['user']), 10)).toBe(4);
    expect(await admitted(rl, as(['readonly', 'admin']), 10)).toBe(8);
    expect(await admitted(rl, as([]), 10)).toBe(1);
  });

  it('the guide API: base rule, setKeyGenerator and addRule with a JavaScript filter', async () => {
    const { rl, clock } = limiter({ windowMs: 60000, max: 100 });
    rl.setKeyGenerator((req) => `${req.user?.id}:${req.ip}`);
    rl.addRule('expensive-operations', { windowMs: 300000, max: 2, filter: (req) => req.body?.method?.includes('generate') ?? false });
    // The rules reach the policy as data; the JS filter as a flag.
    expect(rl.config()).toEqual({
      enabled: true,
      algorithm: 'sliding-window',
      rules: [
        { name: 'default', windowMs: 60000, max: 100, keyGenerator: 'custom' },
        { name: 'expensive-operations', windowMs: 300000, max: 2, keyGenerator: 'custom', runtimeFilter: true },
      ],
    });
    const gen: RateLimitRequest = { ...alice(), body: { method: 'tools/generate_image' } };
    expect(rl.policyInput(gen).ratelimit).toEqual({ key: 'alice:10.0.0.1', matched: ['expensive-operations'] });
    expect(rl.limitsFor(gen).map((l) => l.key)).toEqual(['default:custom:alice:10.0.0.1', 'expensive-operations:custom:alice:10.0.0.1']);
    expect(rl.limitsFor(alice()).map((l) => l.name)).toEqual(['default']);
    expect(await admitted(rl, gen, 5)).toBe(2);
    const o = await rl.consume(gen);
    expect(o.error!.data).toEqual({ limit: 'expensive-operations', retryAfter: 300 });
    expect(o.headers['X-RateLimit-Limit']).toBe('2');
    clock.now += 300000;
    expect((await rl.consume(gen)).allowed).toBe(true);
  });

  it("the guide's filter as written: a predicate returning undefined (no body, no method) does not match", async () => {
    const { rl } = limiter({ windowMs: 60000, max: 100 });
    // No `?? false`: under strict TypeScript this returns boolean | undefined.
    rl.addRule('expensive-operations', { windowMs: 300000, max: 1, filter: (req) => req.body?.method?.includes('generate') });
    expect(rl.policyInput({ ...alice(), body: { method: 'prompts/generate' } }).ratelimit).toEqual({ matched: ['expensive-operations'] });
    expect(rl.policyInput({ ...alice(), body: { method: 'tools/list' } }).ratelimit).toEqual({ matched: [] });
    expect(rl.policyInput({ ...alice(), body: {} }).ratelimit).toEqual({ matched: [] });
    expect(rl.policyInput(alice()).ratelimit).toEqual({ matched: [] });
    const gen: RateLimitRequest = { ...alice(), body: { method: 'prompts/generate' } };
    expect(await admitted(rl, gen, 3)).toBe(1);
    expect(await admitted(rl, alice(), 3)).toBe(3);
  });

  it('check decides without charging; consume charges', async () => {
    const { rl } = limiter({ windowMs: 1000, max: 1 });
    expect((await rl.check(alice())).allowed).toBe(true);
    expect((await rl.check(alice())).allowed).toBe(true);
    expect((await rl.consume(alice())).allowed).toBe(true);
    expect((await rl.check(alice())).allowed).toBe(false);
  });

  it('declarative filters go to Rego as they are; enabled false means no limits', async () => {
    const { rl } = limiter({ enabled: false });
    rl.addRule('gh', { windowMs: 1000, max: 0, filter: 'server:github', keyGenerator: 'ip' });
    expect(rl.rules()).toEqual([{ name: 'gh', windowMs: 1000, max: 0, filter: 'server:github', keyGenerator: 'ip' }]);
    expect(rl.limitsFor({ ...alice(), server: 'github' })).toEqual([]);
    const on = limiter().rl.addRule('gh', { windowMs: 1000, max: 0, filter: 'server:github', keyGenerator: 'ip' });
    expect((await on.consume({ ...alice(), server: 'github' })).error!.code).toBe('ERR_RATE_LIMITED');
    expect((await on.consume(alice())).allowed).toBe(true);
  });

  it('refuses bad rules; without a policy, the shipped bundle decides', async () => {
    const { rl } = limiter({ windowMs: 1000, max: 1 });
    expect(() => rl.addRule('default', { windowMs: 1, max: 1 })).toThrow(/exists/);
    expect(() => rl.addRule('x y', { windowMs: 1, max: 1 })).toThrow(/name/);
    expect(() => rl.addRule('z', { windowMs: 0, max: 1 })).toThrow(/windowMs/);
    // Without options.policy, limitsFor cannot decide; check/consume load the shipped bundle first.
    const bare = new RateLimiter({ windowMs: 1000, max: 1, store: new MemoryStore() });
    expect(() => bare.limitsFor(alice())).toThrow(/policy/);
    expect((await bare.consume(alice())).limit?.key).toBe('default:user:alice');
  });
});
