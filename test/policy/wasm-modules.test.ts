// A bundle's policy.wasm is compiled once per content and reused across loads (src/policy/wasm-modules.ts):
// engines built from one compiled module are separate instances that each decide on their own data.
import { readFileSync } from 'node:fs';
import { DEFAULT_BUNDLE_PATH } from '../../src/config/default-config.js';
import { CONTRACT_VERSION, PolicyEngine, readBundle } from '../../src/policy/index.js';
import { compiledPolicyWasm, compiledPolicyWasmCount } from '../../src/policy/wasm-modules.js';

const wasm = readBundle(readFileSync(DEFAULT_BUNDLE_PATH)).wasm;
const NETWORK = { contract: CONTRACT_VERSION, stage: 'network', now_ns: 0, transport: 'http', client: { ip: '10.9.9.9', socket_ip: '10.9.9.9', forwarded_for: [], origin: null, user_agent: null } };

it('the same wasm bytes give the same compiled module; other bytes their own, and at most 4 are kept', async () => {
  const a = await compiledPolicyWasm(wasm);
  expect(await compiledPolicyWasm(Uint8Array.from(wasm))).toBe(a);
  for (let i = 0; i < 5; i++) {
    // A valid module that differs: the shipped one with one extra custom section byte appended.
    const other = new Uint8Array([...wasm, 0, 2, 1, 0x61 + i]);
    expect(await compiledPolicyWasm(other)).not.toBe(a);
  }
  expect(compiledPolicyWasmCount()).toBe(4);
});

it('two engines from one compiled module keep their own data: a blocked range denies in one, not the other', async () => {
  const blocked = await PolicyEngine.load(DEFAULT_BUNDLE_PATH, { runtimeData: { network: { blockedIPs: ['10.0.0.0/8'] } } });
  const open = await PolicyEngine.load(DEFAULT_BUNDLE_PATH, { runtimeData: { network: {} } });
  expect(blocked.decide(NETWORK)).toMatchObject({ allow: false, code: 'ERR_NETWORK_DENIED' });
  expect(open.decide(NETWORK)).toMatchObject({ allow: true });
});

it('bytes that are not wasm reject, and their failed compile is not kept', async () => {
  const before = compiledPolicyWasmCount();
  await expect(compiledPolicyWasm(new Uint8Array([1, 2, 3]))).rejects.toThrow();
  await new Promise((r) => setImmediate(r));
  expect(compiledPolicyWasmCount()).toBeLessThanOrEqual(before);
});
