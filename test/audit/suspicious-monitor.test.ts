// The suspicious-activity monitor with the shipped policy bundle and a
// controlled clock: once per burst, cooldown, end of burst, blocks.
import { SuspiciousActivityMonitor } from '../../src/audit/suspicious-monitor.js';
import type { SecurityEvent } from '../../src/pipeline/security-events.js';
import { PolicyEngine } from '../../src/policy/index.js';
import { packagePath } from '../../src/util/package-root.js';

const BUNDLE = packagePath('policies', 'bundle', 'hatago.tar.gz');
const suspicious = { authFailures: 3, denials: 0, windowMs: 10_000, cooldownMs: 60_000, block: { authFailures: 0 } };

async function setup(config: Record<string, unknown> = suspicious) {
  const engine = await PolicyEngine.load(BUNDLE, { runtimeData: { suspicious: config } });
  let now = 1_700_000_000_000;
  const monitor = new SuspiciousActivityMonitor({ current: () => engine }, { now: () => now });
  const seen: SecurityEvent[] = [];
  const sink = monitor.wrap(async (e) => {
    seen.push(e);
  });
  const fail = (ip = '10.0.0.1') => sink({ event: 'authentication_failure', ip });
  return { monitor, seen, fail, advance: (ms: number) => (now += ms), raised: () => seen.filter((e) => e.event === 'suspicious_activity') };
}

describe('SuspiciousActivityMonitor', () => {
  it('raises once per burst, again only after the cooldown while the burst lasts', async () => {
    const t = await setup();
    for (let i = 0; i < 6; i++) await t.fail();
    expect(t.raised()).toHaveLength(1);
    expect(t.raised()[0]).toMatchObject({ ip: '10.0.0.1', metadata: { scope: 'ip', subject: '10.0.0.1', counts: { failures: 3 } } });
    for (let i = 0; i < 6; i++) {
      t.advance(9_000); // keeps the window full: the burst goes on
      await t.fail();
      await t.fail();
      await t.fail();
    }
    expect(t.raised()).toHaveLength(1); // 54 s < cooldown
    t.advance(7_000);
    await t.fail();
    await t.fail();
    await t.fail();
    expect(t.raised()).toHaveLength(2); // 61 s: cooldown passed, still suspicious
  });

  it('a new burst after the counts fell below the threshold raises again', async () => {
    const t = await setup();
    for (let i = 0; i < 3; i++) await t.fail();
    expect(t.raised()).toHaveLength(1);
    t.advance(11_000); // window empties
    await t.fail(); // below threshold: the burst is over
    for (let i = 0; i < 2; i++) await t.fail();
    expect(t.raised()).toHaveLength(2);
  });

  it('keys are independent and memory is bounded', async () => {
    const engine = await PolicyEngine.load(BUNDLE, { runtimeData: { suspicious } });
    const monitor = new SuspiciousActivityMonitor({ current: () => engine }, { maxKeys: 5 });
    const sink = monitor.wrap(async () => undefined);
    for (let i = 0; i < 50; i++) await sink({ event: 'authentication_failure', ip: `10.0.1.${i}` });
    expect(Object.keys(await monitor.addresses(Array.from({ length: 50 }, (_, i) => `10.0.1.${i}`)))).toHaveLength(5);
  });

  it('remembers a block for the policy and announces it once', async () => {
    const t = await setup({ ...suspicious, block: { authFailures: 4, durationMs: 30_000 } });
    for (let i = 0; i < 6; i++) await t.fail();
    const blocks = t.raised().filter((e) => e.metadata?.action === 'blocked');
    expect(blocks).toHaveLength(1);
    const a = await t.monitor.addresses(['10.0.0.1', '10.0.0.2']);
    expect(Object.keys(a)).toEqual(['10.0.0.1']);
    expect(a['10.0.0.1']!.blocked_until_ns).toBeGreaterThan(0);
    t.advance(40_000);
    expect((await t.monitor.addresses(['10.0.0.1']))['10.0.0.1']!.blocked_until_ns).toBe(0);
  });
});
