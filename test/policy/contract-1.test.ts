// Contract versions: the runtime speaks 2 and still accepts, for one
// release, a bundle that declares only 1 (the previous release's shipped
// bundle, test/fixtures/bundles/contract-1.tar.gz, built before contract 2).
import { describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PolicyEngine } from '../../src/policy/index.js';
import { negotiateContract, toContract1 } from '../../src/policy/contract.js';
import { requestInput } from '../../src/pipeline/policy-input.js';
import type { CallerContext } from '../../src/hub/types.js';
import { packagePath } from '../../src/util/package-root.js';
import { fixtureStdio, startHubProcess } from '../helpers/hub-process.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { stopAndRemove } from '../metrics/helpers.js';

useProcessCleanup();

const CONTRACT_1_BUNDLE = packagePath('test', 'fixtures', 'bundles', 'contract-1.tar.gz');
const SHIPPED = packagePath('policies', 'bundle', 'hatago.tar.gz');
const config = { authentication: { enabled: true }, authorization: { enabled: true } };

function caller(roles: string[]): CallerContext {
  return { transport: 'http', protocolVersion: '2025-11-25', client: { ip: '127.0.0.1', origin: null, userAgent: null }, principal: { sub: 'u-1', roles, claims: {} }, sessionId: 's-1' };
}
const deleteCall = { method: 'tools/call', server: 'fx', name: 'delete_file', exposed: 'fx_delete_file', arguments: {}, annotations: { destructiveHint: true } };

describe('contract negotiation', () => {
  it('picks the newest version both sides know; a bundle that declares nothing speaks 1; none in common is none', () => {
    expect(negotiateContract([2])).toBe(2);
    expect(negotiateContract([1, 2])).toBe(2);
    expect(negotiateContract([1])).toBe(1);
    expect(negotiateContract(undefined)).toBe(1);
    expect(negotiateContract([3])).toBeUndefined();
    expect(negotiateContract('2')).toBeUndefined();
  });

  it('a contract-1 input has contract 1 and none of what contract 2 added; other inputs pass as they are', () => {
    const input = requestInput(caller(['user']), deleteCall, { history: [], labels: ['private_read'] });
    expect(input).toMatchObject({ contract: 2, session: { labels: ['private_read'] }, request: { annotations: { destructiveHint: true } } });
    const old = toContract1(input);
    expect(old.contract).toBe(1);
    expect(old).not.toHaveProperty('session');
    expect(old.request).not.toHaveProperty('annotations');
    expect(old.request).toMatchObject({ method: 'tools/call', server: 'fx', name: 'delete_file' });
    const mine = { contract: 7, stage: 'request' };
    expect(toContract1(mine)).toBe(mine);
  });

  it('the shipped bundle speaks 2 and holds a destructive call; the contract-1 bundle is spoken to in 1 and allows it', async () => {
    const shipped = await PolicyEngine.load(SHIPPED, { runtimeData: config });
    const old = await PolicyEngine.load(CONTRACT_1_BUNDLE, { runtimeData: config });
    expect([shipped.contract, old.contract]).toEqual([2, 1]);
    const input = requestInput(caller(['user']), deleteCall);
    const now = shipped.decide(input);
    expect(now).toMatchObject({ allow: false, code: 'ERR_APPROVAL_REQUIRED', approval: { approvers: [], timeoutS: 300, rules: ['approval.destructive'] } });
    const before = old.decide(input);
    expect(before).toMatchObject({ allow: true, reasons: [] });
    expect(before.approval).toBeUndefined();
    // It still denies what it denied: the contract-1 policy is enforced, not bypassed.
    expect(old.decide(requestInput(caller(['readonly']), deleteCall))).toMatchObject({ allow: false, code: 'ERR_PERMISSION_DENIED' });
  });
});

describe('a hub on a contract-1 bundle', () => {
  it('serves lists and calls as that bundle decides', async () => {
    const hub = await startHubProcess({
      mcpServers: { fx: fixtureStdio() },
      policies: { bundle: CONTRACT_1_BUNDLE },
      security: { authorization: { enabled: false } },
    });
    try {
      const c = new Client({ name: 'contract-1', version: '1.0.0' });
      await c.connect(new StreamableHTTPClientTransport(new URL(hub.mcpUrl)));
      expect((await c.listTools()).tools.map((t) => t.name)).toContain('fx_echo');
      expect(await c.callTool({ name: 'fx_echo', arguments: { text: 'old contract' } })).toMatchObject({ content: [{ type: 'text', text: 'old contract' }] });
      await c.close();
    } finally {
      await stopAndRemove(hub);
    }
  });
});
