// Runs the pinned MCP conformance suite (@modelcontextprotocol/conformance,
// server scenarios) against a URL with the pinned Node 22 and reads what it
// found from the checks.json files it writes, one per scenario: the exit
// code alone says neither which checks ran nor which failed.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { spawnProcess } from './processes.js';

export const CONFORMANCE_FIXTURE = packagePath('test', 'fixtures', 'servers', 'conformance-upstream.mjs');
const SUITE = packagePath('node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');

/** The Node 22 scripts/install-node22.sh installs (or HATAGO_NODE22). */
export function node22(): string {
  if (process.env.HATAGO_NODE22) return process.env.HATAGO_NODE22;
  const script = readFileSync(packagePath('scripts', 'install-node22.sh'), 'utf8');
  const version = /^version="([^"]+)"$/m.exec(script)?.[1];
  if (version === undefined) throw new Error('no version= line in scripts/install-node22.sh');
  return packagePath('.tools', `node-v${version}`, 'bin', 'node');
}

export interface Check {
  scenario: string;
  id: string;
  status: string;
  errorMessage?: string;
}

export interface SuiteRun {
  checks: Check[];
  passed: Check[];
  /** Checks that neither passed nor only informed (FAILURE, WARNING, ...). */
  failing: Check[];
  exitCode: number | null;
  output: string;
}

/** Runs every active server scenario in one suite invocation. */
export async function runConformance(url: string, timeoutMs = 60_000): Promise<SuiteRun> {
  const out = mkdtempSync(path.join(tmpdir(), 'hatago-conformance-'));
  try {
    const proc = spawnProcess(node22(), [SUITE, 'server', '--url', url, '--output-dir', out], { cwd: out });
    const exitCode = await proc.waitForExit(timeoutMs);
    const checks: Check[] = [];
    for (const dir of readdirSync(out)) {
      const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT/.exec(dir)?.[1] ?? dir;
      const parsed = JSON.parse(readFileSync(path.join(out, dir, 'checks.json'), 'utf8')) as Omit<Check, 'scenario'>[];
      for (const c of parsed) checks.push({ scenario, id: c.id, status: c.status, ...(c.errorMessage ? { errorMessage: c.errorMessage } : {}) });
    }
    return {
      checks,
      passed: checks.filter((c) => c.status === 'SUCCESS'),
      failing: checks.filter((c) => c.status !== 'SUCCESS' && c.status !== 'INFO'),
      exitCode,
      output: proc.output(),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** One line per check that did not pass, for a failure message. */
export function describeFailing(run: SuiteRun): string {
  const bad = run.checks.filter((c) => c.status !== 'SUCCESS');
  return bad.map((c) => `${c.scenario} / ${c.id}: ${c.status}${c.errorMessage ? ` - ${c.errorMessage}` : ''}`).join('\n');
}
