// Shared by the validation end-to-end suites: the real hub process in front
// of the misbehaving fixture (as server "filesystem"), raw POSTs, and the
// shape every refused request must have.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';

export const MISBEHAVING = packagePath('test', 'validation', 'fixtures', 'misbehaving-upstream.mjs');

/** Small limits so the tests stay fast; the defaults are tested in unit tests. */
export const LIMITS = { maxBodyBytes: 65536, maxDepth: 32, maxStringLength: 2000, maxArrayItems: 200, maxObjectKeys: 200 };

export async function startValidationHub(): Promise<{ hub: HubProcess; eventsFile: string }> {
  const eventsFile = path.join(mkdtempSync(path.join(tmpdir(), 'hatago-validation-')), 'events.jsonl');
  const hub = await startHubProcess({
    mcpServers: { filesystem: { command: process.execPath, args: [MISBEHAVING], env: { FIXTURE_EVENTS_FILE: eventsFile } } },
    security: {
      authorization: { enabled: true, defaultRole: 'admin' },
      validation: { ...LIMITS, maxArgumentBytes: { filesystem: 300 } },
      // The upstream changes a tool's schema on purpose (recompilation); pinning would hold the change (test/pinning).
      pinning: { enabled: false },
    },
  });
  return { hub, eventsFile };
}

export interface RawAnswer {
  status: number;
  body: { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> } };
}

export const ACCEPT = 'application/json, text/event-stream';

export async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body });
  const text = await res.text();
  let parsed: RawAnswer['body'];
  try {
    parsed = JSON.parse(text) as RawAnswer['body'];
  } catch {
    parsed = { error: { code: 0, message: `not JSON: ${text.slice(0, 200)}` } };
  }
  return { status: res.status, body: parsed };
}

export const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** A JSON-RPC error answer: the right envelope, a numeric code, a hatago code in data. */
export function isJsonRpcError(b: RawAnswer['body']): boolean {
  return b.jsonrpc === '2.0' && typeof b.error?.code === 'number' && typeof b.error.message === 'string' && typeof b.error.data?.code === 'string';
}
