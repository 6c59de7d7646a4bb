// Policy contract versions (docs/policy-contract.md). The runtime builds
// inputs of the current version; a bundle that declares only an older one it
// still accepts gets them translated, for one release.

/** The version the runtime's input builders write. */
export const CONTRACT_VERSION = 2;

/** Versions a bundle may declare (data.json `hatago.contract`), newest first. */
export const ACCEPTED_CONTRACTS: readonly number[] = [2, 1];

/**
 * The version a bundle is spoken to in: the newest both sides know. A bundle
 * that declares nothing predates the declaration and speaks 1. Returns
 * undefined when the two have no version in common.
 */
export function negotiateContract(declared: unknown): number | undefined {
  if (declared === undefined) return 1;
  if (!Array.isArray(declared)) return undefined;
  return ACCEPTED_CONTRACTS.find((v) => declared.includes(v));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A runtime-built input for a contract-1 bundle: `contract` 1, without what
 * contract 2 added to the input (`session`, `request.annotations`). Inputs of
 * any other version (a user's file in `hatago policy eval`) pass unchanged.
 */
export function toContract1(input: Record<string, unknown>): Record<string, unknown> {
  if (input.contract !== CONTRACT_VERSION) return input;
  const { session: _session, ...rest } = input;
  const out: Record<string, unknown> = { ...rest, contract: 1 };
  if (isObject(rest.request) && 'annotations' in rest.request) {
    const { annotations: _annotations, ...request } = rest.request;
    out.request = request;
  }
  return out;
}

/** What a contract-1 bundle's decision may not say: contract-2 outputs are dropped (approval, flow labels). */
export function fromContract1(result: Record<string, unknown>): Record<string, unknown> {
  if (!('approval' in result) && !('flow_labels' in result)) return result;
  const { approval: _approval, flow_labels: _labels, ...rest } = result;
  return rest;
}
