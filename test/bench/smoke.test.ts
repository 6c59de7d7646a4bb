// Each benchmark under bench/ starts and prints its header and figures with tiny iteration counts (--smoke).
// Figures are not checked here (speed claims live in the benches' own ratios, never in tests); that the scripts
// run, against the built dist/, real child processes and wrk, is.
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';
import { packagePath } from '../../src/util/package-root.js';

useProcessCleanup();

async function smoke(script: string, args: string[] = []): Promise<string> {
  const proc = spawnProcess(process.execPath, [packagePath('bench', script), '--smoke', ...args], { cwd: packagePath(), env: { PATH: process.env.PATH } });
  const code = await proc.waitForExit(170_000);
  const out = proc.output();
  if (code !== 0) throw new Error(`bench/${script} exited ${code}:\n${out}`);
  return out;
}

it('bench/policy-eval prints the sample decision, the stage rows and the OPA sidecar ratios', async () => {
  const out = await smoke('policy-eval.mjs');
  expect(out).toContain('sample decision: allow=true\n');
  expect(out).toMatch(/^tools\/list, 1,000 tools +p50/m);
  expect(out).toMatch(/^request stage \(tools\/call\) +in-process .* OPA sidecar .* same answers\)$/m);
}, 180_000);

it('bench/ratelimit prints memory and Redis checks per second', async () => {
  const out = await smoke('ratelimit.mjs');
  expect(out).toMatch(/^memory: [\d,]+ checks\/s \(1 limit\), [\d,]+ checks\/s \(3 limits\)/m);
  expect(out).toMatch(/^redis: +[\d,]+ checks\/s \(1 limit\).* 0 unavailable$/m);
}, 180_000);

it('bench/startup prints start-up to the first /health 200 and the RSS rows', async () => {
  const out = await smoke('startup.mjs');
  expect(out).toMatch(/^start-up to first \/health 200: hub \d+ ms .*bare Node server \d+ ms/m);
  expect(out).toMatch(/^ {2}the same build unbundled \(dist\/cli\/main\.js\): \d+ ms .*; bundled \/ unbundled \d+\.\d\d$/m);
  expect(out).toMatch(/^hub RSS after a full GC .*: idle \d+ MB; round 1: \d+ open \d+ MB .*, closed \d+ MB .*round 2: /m);
  expect(out).toMatch(/^hub RSS as it stands, before V8 collects: idle \d+ MB; round 1: /m);
}, 180_000);

it('bench/hub prints every target, the ratios and the ablation table', async () => {
  const out = await smoke('hub.mjs');
  for (const target of ['direct', 'bare proxy', 'mcp-proxy', 'hub off', 'hub on', 'hub on-audit-off', 'hub on-audit-rl-off']) {
    expect(out).toMatch(new RegExp(`^${target} +\\d+ `, 'm'));
  }
  expect(out).toMatch(/^ {2}security on \/ security off \d+\.\d\d/m);
}, 180_000);
