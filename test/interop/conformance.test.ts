// The MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, its 30
// active server scenarios, 40 checks) against the hub, with one upstream of our
// own (test/fixtures/servers/conformance-upstream.mjs) exposed under its own
// names (prefix ""). Twice: the upstream's revision negotiated (it speaks
// 2026-07-28, so the hub picks that) and pinned to 2025-11-25. The control run
// points the suite at the fixture itself, so a failure through the hub is the
// hub's, not the fixture's.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { CONFORMANCE_FIXTURE, describeFailing, runConformance, type SuiteRun } from '../helpers/conformance.js';
import { rmSync } from 'node:fs';

useProcessCleanup();

const SUITE_CHECKS = 40;
let upstreamUrl = '';
const hubs: HubProcess[] = [];

beforeAll(async () => {
  const proc = spawnProcess(process.execPath, [CONFORMANCE_FIXTURE]);
  const m = await proc.waitForLine(/FIXTURE_LISTENING port=(\d+)/);
  upstreamUrl = `http://127.0.0.1:${m[1]}/mcp`;
});

afterAll(async () => {
  for (const hub of hubs) {
    await hub.stop();
    rmSync(hub.dir, { recursive: true, force: true });
  }
});

async function hubInFront(pin: Record<string, string>): Promise<HubProcess> {
  const hub = await startHubProcess({
    // Authentication stays off (loopback only): the suite's client sends no token.
    security: { authorization: { defaultRole: 'admin' } },
    mcpServers: { conf: { type: 'http', url: upstreamUrl, prefix: '', ...pin } },
  });
  hubs.push(hub);
  return hub;
}

function expectAllPassed(run: SuiteRun): void {
  // The message names every check that did not pass.
  expect({ passed: run.passed.length, notPassed: describeFailing(run).split('\n').filter(Boolean) }).toEqual({ passed: SUITE_CHECKS, notPassed: [] });
  expect(run.failing).toEqual([]);
  expect(run.exitCode).toBe(0);
}

describe('MCP conformance suite, server scenarios', () => {
  test('control: the fixture upstream alone passes every check', async () => {
    expectAllPassed(await runConformance(upstreamUrl));
  });

  test('through the hub, the upstream revision negotiated (2026-07-28)', async () => {
    const hub = await hubInFront({});
    await hub.proc.waitForLine(/"message":"Upstream ready","protocolVersion":"2026-07-28"/);
    expectAllPassed(await runConformance(hub.mcpUrl));
  });

  test('through the hub, the upstream pinned to 2025-11-25', async () => {
    const hub = await hubInFront({ protocolVersion: '2025-11-25' });
    await hub.proc.waitForLine(/"message":"Upstream ready","protocolVersion":"2025-11-25"/);
    expectAllPassed(await runConformance(hub.mcpUrl));
  });
});
