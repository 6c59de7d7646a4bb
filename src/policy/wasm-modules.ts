// Compiled policy wasm, kept by the digest of its bytes: a bundle loaded again with the same policy.wasm (a
// data-only bundle update, the shadow policy or rate-limit policy of the same bundle, a CLI command after a
// check) is instantiated from the module compiled the first time instead of compiling it again. opa-wasm's
// loadPolicy takes a WebAssembly.Module as well as bytes. A few modules at most are kept (newest last).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { LoadedPolicy, loadPolicySync } from '@open-policy-agent/opa-wasm';

/** What loadPolicy takes; a compiled WebAssembly.Module here (this project's lib has no WebAssembly types). */
type PolicyWasm = Parameters<typeof loadPolicySync>[0];
const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<PolicyWasm> } }).WebAssembly;

const MAX_MODULES = 4;
const modules = new Map<string, Promise<PolicyWasm>>();

/** The compiled module of `wasm`, compiled once per distinct content (a failed compile is not kept). */
export function compiledPolicyWasm(wasm: Uint8Array): Promise<PolicyWasm> {
  const key = createHash('sha256').update(wasm).digest('hex');
  const kept = modules.get(key);
  modules.delete(key);
  const m = kept ?? wasmApi.compile(wasm);
  if (!kept) m.catch(() => modules.delete(key));
  modules.set(key, m);
  while (modules.size > MAX_MODULES) modules.delete(modules.keys().next().value!);
  return m;
}

// opa-wasm's ESM entry exports loadPolicy only; its CommonJS entry (the same module instance) has loadPolicySync.
const opaWasm = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as { loadPolicySync: typeof loadPolicySync };

/**
 * A policy instance of `wasm`, from the module compiled once per content. Instantiated synchronously from that
 * module: opa-wasm's async loadPolicy tests `instanceof Response`, which makes Node load its whole fetch
 * implementation (undici) on the way to the first decision.
 */
export async function instantiatePolicyWasm(wasm: Uint8Array): Promise<LoadedPolicy> {
  return opaWasm.loadPolicySync(await compiledPolicyWasm(wasm));
}

/** How many compiled modules are kept (tests). */
export function compiledPolicyWasmCount(): number {
  return modules.size;
}
