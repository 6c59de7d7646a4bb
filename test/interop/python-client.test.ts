// A non-TypeScript client through the real hub: the Python MCP SDK (PyPI
// `mcp`, pinned in scripts/python/requirements.txt) runs
// test/fixtures/python/client.py, which prints what it saw as JSON. The hub is
// a real process in front of the TypeScript fixture upstream; the policy is
// the shipped Rego bundle.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { HATAGO_BIN, fixtureStdio, startHubProcess, writeConfig, type HubProcess } from '../helpers/hub-process.js';
import { runPythonClient, textOf, type PlanStep, type PythonSeen, type StepSeen } from '../helpers/python.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { hs256Token } from '../helpers/tokens.js';

useProcessCleanup();

const SECRET = 'python-interop-secret-0123456789-0123456789';
const CONFIG = {
  mcpServers: { fx: fixtureStdio() },
  logging: { file: false },
  security: {
    authentication: { enabled: true, secret: SECRET, algorithms: ['HS256'] },
    authorization: {
      enabled: true,
      // May list every tool and call these four; fx_add is listed but denied.
      roles: { caller: { permissions: ['mcp:tools:list', ...['echo', 'slow', 'sample', 'elicit'].map((t) => `server:fx:tools:call:${t}`)] } },
    },
  },
};

const STEPS: PlanStep[] = [
  { list_tools: true },
  { call: 'fx_echo', arguments: { text: 'from python' } },
  { call: 'fx_add', arguments: { a: 1, b: 2 } },
  { call: 'fx_slow', arguments: { steps: 3, delayMs: 5 }, progress: true },
  { call: 'fx_sample', arguments: { prompt: 'pick a colour' } },
  { call: 'fx_elicit', arguments: { message: 'Who are you?' } },
];

/** Each Python run starts an interpreter (over stdio, a whole hub too): more than jest's default 60 s on a busy machine. */
const SLOW = 180_000;

const callerToken = () => hs256Token(SECRET, { sub: 'py-user', roles: ['caller'] });

function stepsOf(seen: PythonSeen): Record<'list' | 'echo' | 'denied' | 'progress' | 'sample' | 'elicit', StepSeen> {
  expect(seen.connectError).toBeUndefined();
  const [list, echo, denied, progress, sample, elicit] = seen.steps!;
  return { list: list!, echo: echo!, denied: denied!, progress: progress!, sample: sample!, elicit: elicit! };
}

/** What every Python client sees for the steps that do not depend on the revision. */
function expectCommonSteps(s: ReturnType<typeof stepsOf>): void {
  // Namespaced names: <server>_<tool>, for every tool of the upstream.
  expect(s.list.tools).toEqual(expect.arrayContaining(['fx_echo', 'fx_add', 'fx_slow', 'fx_sample', 'fx_elicit']));
  expect(s.list.tools!.every((n) => n.startsWith('fx_'))).toBe(true);
  expect(s.echo.error).toBeUndefined();
  expect(textOf(s.echo)).toBe('from python');
  // The policy's denial, as the Python SDK raises it (MCPError code, message, data).
  expect(s.denied.error).toEqual({
    code: -32003,
    message: 'Forbidden: permission denied by policy',
    data: { code: 'ERR_PERMISSION_DENIED', decisionId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
  });
  // The upstream's progress notifications reach the Python progress callback, in order.
  expect(textOf(s.progress)).toBe('done 3');
  expect(s.progress.progress).toEqual([1, 2, 3].map((i) => ({ progress: i, total: 3, message: `step ${i}` })));
}

/** Sampling and elicitation from the upstream, answered by the Python client's callbacks. */
function expectRelaysAnswered(seen: PythonSeen, s: ReturnType<typeof stepsOf>): void {
  expect(textOf(s.sample)).toBe('python sampled: pick a colour');
  expect(JSON.parse(textOf(s.elicit)!)).toEqual({ action: 'accept', content: { name: 'Py' } });
  expect(seen.asked).toEqual([
    { method: 'sampling/createMessage', text: 'pick a colour' },
    { method: 'elicitation/create', message: 'Who are you?' },
  ]);
}

describe('Python client -> hub over Streamable HTTP', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess(CONFIG);
  });
  afterAll(async () => {
    await hub?.stop();
    if (hub) rmSync(hub.dir, { recursive: true, force: true });
  });

  test('2025-11-25 session (mode "legacy"): calls, policy denial, progress, sampling and elicitation relayed to the Python callbacks', async () => {
    const { seen } = await runPythonClient({ transport: 'http', mode: 'legacy', url: hub.mcpUrl, headers: { authorization: `Bearer ${await callerToken()}` }, steps: STEPS });
    expect(seen.protocolVersion).toBe('2025-11-25');
    expect(seen.serverName).toBe('hatago');
    const s = stepsOf(seen);
    expectCommonSteps(s);
    expectRelaysAnswered(seen, s);
  }, SLOW);

  test('mode "auto" negotiates 2026-07-28 (stateless); the upstream\'s sampling and elicitation are refused, the client is never asked', async () => {
    const { seen } = await runPythonClient({ transport: 'http', mode: 'auto', url: hub.mcpUrl, headers: { authorization: `Bearer ${await callerToken()}` }, steps: STEPS });
    expect(seen.protocolVersion).toBe('2026-07-28');
    // Read from the discover result's `_meta` serverInfo stamp, where the revision puts it.
    expect(seen.serverName).toBe('hatago');
    const s = stepsOf(seen);
    expectCommonSteps(s);
    // A stateless request has no channel for a request back to the client (docs/upstreams.md).
    for (const [step, method] of [[s.sample, 'sampling/createMessage'], [s.elicit, 'elicitation/create']] as const) {
      expect(step.result?.isError).toBe(true);
      expect(textOf(step)).toContain(`The client cannot serve the upstream's ${method} request`);
    }
    expect(seen.asked).toEqual([]);
  }, SLOW);

  test('without a token the Python client is refused at connect with ERR_UNAUTHENTICATED, in both modes', async () => {
    for (const mode of ['legacy', 'auto'] as const) {
      const { seen } = await runPythonClient({ transport: 'http', mode, url: hub.mcpUrl, steps: STEPS });
      expect({ mode, steps: seen.steps }).toEqual({ mode, steps: undefined });
      // The hub's 401 carries a JSON-RPC error body; the Python SDK surfaces it as the MCPError.
      expect(seen.connectError).toEqual({ code: -32001, message: 'Authentication required', data: { code: 'ERR_UNAUTHENTICATED', reason: 'missing' } });
    }
  }, SLOW);
});

describe('Python client -> hub over stdio (stdio_client spawns `hatago serve --stdio`)', () => {
  const { dir, file } = writeConfig(CONFIG);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function overStdio(mode: 'legacy' | 'auto', token: string): Promise<PythonSeen> {
    const { seen } = await runPythonClient({
      transport: 'stdio',
      mode,
      command: process.execPath,
      args: [HATAGO_BIN, 'serve', '--stdio', '--config', file],
      cwd: dir,
      // stdio_client passes only a safe default environment on; the hub needs its token (and the test's TMPDIR).
      env: { HATAGO_AUTH_TOKEN: token, TMPDIR: process.env.TMPDIR ?? '' },
      steps: STEPS,
    });
    // The hub the Python client spawned has stopped (it releases its audit trail lock on exit).
    expect(existsSync(path.join(dir, 'logs', 'audit.log.lock'))).toBe(false);
    return seen;
  }

  test.each(['legacy', 'auto'] as const)('mode "%s": a 2025-11-25 session with calls, policy denial, progress and relays', async (mode) => {
    const seen = await overStdio(mode, await callerToken());
    // stdio serves 2025-11-25 only: an auto-negotiating client's server/discover learns that and falls back to initialize.
    expect(seen.protocolVersion).toBe('2025-11-25');
    expect(seen.serverName).toBe('hatago');
    const s = stepsOf(seen);
    expectCommonSteps(s);
    expectRelaysAnswered(seen, s);
  }, SLOW);
});
