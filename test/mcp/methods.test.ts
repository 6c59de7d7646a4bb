// One list of MCP methods in TypeScript (src/mcp/methods.ts); the Rego keeps
// its own (hatago.rbac `methods`) and the params schemas theirs: all equal.
import { readFileSync } from 'node:fs';
import { MCP_METHODS, RUNTIME_METHODS } from '../../src/mcp/methods.js';
import { packagePath } from '../../src/util/package-root.js';
import { REQUEST_PARAMS } from '../../src/validation/mcp-schemas.js';

function regoMethods(): string[] {
  const rego = readFileSync(packagePath('policies', 'rego', 'hatago', 'rbac', 'rbac.rego'), 'utf8');
  const block = /^methods := \{\n([\s\S]*?)\n\}/m.exec(rego);
  if (!block) throw new Error('no `methods := {` block in rbac.rego');
  return [...block[1]!.matchAll(/^\t"([^"]+)":/gm)].map((m) => m[1]!);
}

describe('the MCP method list', () => {
  it('equals the Rego method map, with the methods the hub asks about itself', () => {
    expect(regoMethods().sort()).toEqual([...Object.keys(MCP_METHODS), ...RUNTIME_METHODS].sort());
  });

  it('equals the methods whose params have a schema', () => {
    expect(Object.keys(REQUEST_PARAMS).sort()).toEqual(Object.keys(MCP_METHODS).sort());
  });

  it('lists and routed methods say where their name or list is', () => {
    for (const [method, spec] of Object.entries(MCP_METHODS)) {
      if (spec.kind === 'list') expect([method, spec.listKey]).toEqual([method, expect.any(String)]);
      if (spec.kind === 'named') expect([method, spec.nameFrom]).toEqual([method, 'name']);
      if (spec.kind === 'resource') expect([method, spec.nameFrom]).toEqual([method, 'uri']);
    }
  });
});
