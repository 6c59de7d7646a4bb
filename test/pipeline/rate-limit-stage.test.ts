// The rate-limit stage after the real policy stage, run by the MCP stage runner, over the shipped bundle and the
// memory store, with the stage's clock in the test's hands: denial budgets,
// and the bound on the records a flood of denials writes.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_BUNDLE_PATH } from '../../src/config/default-config.js';
import { HatagoError } from '../../src/errors/index.js';
import type { CallerContext, GuardRequest } from '../../src/hub/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { PolicyGuard } from '../../src/pipeline/policy/policy-guard.js';
import { createMcpRunner } from '../../src/pipeline/mcp-stages.js';
import { RateLimiting } from '../../src/pipeline/rate-limit/rate-limiting.js';
import type { SecurityEvent } from '../../src/pipeline/security-events.js';
import { PolicyEngine } from '../../src/policy/index.js';
import { MemoryStore, RedisStore, type RateLimitStore } from '../../src/ratelimit/index.js';
import { freePort } from '../helpers/processes.js';

const MINUTE = 60000;
let engine: PolicyEngine;

beforeAll(async () => {
  engine = await PolicyEngine.load(DEFAULT_BUNDLE_PATH, {
    runtimeData: {
      authentication: { enabled: true },
      authorization: { enabled: true, defaultRole: 'readonly' },
      rateLimit: { denialLimits: [{ name: 'denied', windowMs: MINUTE, max: 2, keyGenerator: 'ip' }] },
    },
  });
});

function stage(opts: { maxReportedKeys?: number; store?: RateLimitStore } = {}) {
  const records: SecurityEvent[] = [];
  const sink = async (e: SecurityEvent) => {
    records.push(e);
  };
  let clock = 1_000_000;
  const rateLimits = new RateLimiting({
    store: opts.store ?? new MemoryStore(),
    logger: silentLogger,
    events: sink,
    now: () => clock,
    ...(opts.maxReportedKeys !== undefined && { maxReportedKeys: opts.maxReportedKeys }),
  });
  // The MCP stages as the hub runs them, with the policy stage over the shipped bundle; nothing is forwarded.
  const runner = createMcpRunner({
    guard: new PolicyGuard({ current: () => engine }, silentLogger, { events: sink }),
    rateLimits,
    callUpstream: async () => ({}),
  });
  const guard = {
    check: (ctx: CallerContext, req: GuardRequest) => runner.run({ caller: ctx, method: req.method, params: {}, plan: { guard: req, answer: () => ({}) } }),
  };
  return { guard, records, advance: (ms: number) => (clock += ms) };
}

function caller(ip: string): CallerContext {
  return { transport: 'http', protocolVersion: '2025-11-25', client: { ip, origin: null, userAgent: null }, principal: { sub: 'r', roles: ['readonly'], claims: {} }, responseHeaders: {} };
}

const CALL: GuardRequest = { method: 'tools/call', server: 'fx', name: 'echo', exposed: 'fx_echo', arguments: {} };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HatagoError) return err.code;
    throw err;
  }
  return 'allowed';
}

const events = (records: SecurityEvent[]) => records.map((r) => r.event);

describe('denial budgets in the rate-limit stage', () => {
  it('within budget the denial is answered and recorded; over it 429 and one record per key and window', async () => {
    const { guard, records, advance } = stage();
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push(await codeOf(guard.check(caller('10.0.0.1'), CALL)));
    expect(codes).toEqual(['ERR_PERMISSION_DENIED', 'ERR_PERMISSION_DENIED', 'ERR_RATE_LIMITED', 'ERR_RATE_LIMITED', 'ERR_RATE_LIMITED', 'ERR_RATE_LIMITED']);
    expect(events(records)).toEqual(['permission_denied', 'permission_denied', 'rate_limit_exceeded']);
    expect(records[2]!.metadata).toMatchObject({ limit: 'denied', denied: 'ERR_PERMISSION_DENIED', silentUntilMs: 1_000_000 + MINUTE });

    // Once the window has passed, the budget and the record come back.
    advance(MINUTE);
    for (let i = 0; i < 3; i++) codes.push(await codeOf(guard.check(caller('10.0.0.1'), CALL)));
    expect(codes.slice(6)).toEqual(['ERR_PERMISSION_DENIED', 'ERR_PERMISSION_DENIED', 'ERR_RATE_LIMITED']);
    expect(events(records).slice(3)).toEqual(['permission_denied', 'permission_denied', 'rate_limit_exceeded']);
  });

  it('a 429 for a spent denial budget carries Retry-After and the limit', async () => {
    const { guard } = stage();
    const ctx = caller('10.0.0.2');
    await codeOf(guard.check(ctx, CALL));
    await codeOf(guard.check(ctx, CALL));
    const err = await guard.check(ctx, CALL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HatagoError);
    expect((err as HatagoError).status).toBe(429);
    expect((err as HatagoError).data).toMatchObject({ limit: 'denied', retryAfter: 60 });
    expect(ctx.responseHeaders).toMatchObject({ 'Retry-After': '60', 'X-RateLimit-Limit': '2', 'X-RateLimit-Remaining': '0' });
  });

  it('remembers at most maxReportedKeys keys: a flood from many addresses stays bounded in memory', async () => {
    const { guard, records } = stage({ maxReportedKeys: 2 });
    for (const ip of ['10.1.0.1', '10.1.0.2', '10.1.0.3']) for (let i = 0; i < 3; i++) await codeOf(guard.check(caller(ip), CALL));
    // The first key was dropped to remember the third: its next refusal is recorded again.
    await codeOf(guard.check(caller('10.1.0.1'), CALL));
    await codeOf(guard.check(caller('10.1.0.3'), CALL));
    expect(records.filter((r) => r.event === 'rate_limit_exceeded').map((r) => r.ip)).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.1']);
  });

  it('an allowed request is not charged to the denial budget', async () => {
    const { guard } = stage();
    const admin: CallerContext = { ...caller('10.0.0.3'), principal: { sub: 'a', roles: ['admin'], claims: {} } };
    for (let i = 0; i < 5; i++) expect(await codeOf(guard.check(admin, CALL))).toBe('allowed');
    expect(await codeOf(guard.check(caller('10.0.0.3'), CALL))).toBe('ERR_PERMISSION_DENIED');
  });

  it('an unreachable store (failOpen false) never turns a denial into a 503: answered and recorded as the policy said', async () => {
    // Nothing listens on this port: every count is "unavailable".
    const store = new RedisStore({ url: `redis://127.0.0.1:${await freePort()}`, failOpen: false, commandTimeoutMs: 200, redisOptions: { maxRetriesPerRequest: 0 } });
    try {
      const { guard, records } = stage({ store });
      for (let i = 0; i < 3; i++) expect(await codeOf(guard.check(caller('10.0.0.4'), CALL))).toBe('ERR_PERMISSION_DENIED');
      expect(events(records)).toEqual(['permission_denied', 'permission_denied', 'permission_denied']);
    } finally {
      await store.close();
    }
  });
});
