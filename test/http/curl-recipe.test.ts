// docs/curl.md, run as printed with the real curl against a real hub (only
// the address and `npx hatago` are replaced), and the security guide's
// original curl line: its exact answer, with the help that says what to send.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packagePath } from '../../src/util/package-root.js';
import { fixtureStdio, HATAGO_BIN, startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { spawnProcess, useProcessCleanup } from '../helpers/processes.js';

useProcessCleanup();

const SECRET = 'curl-recipe-secret-0123456789-0123456789';
const DOC_URL = 'http://localhost:3000/mcp';
// The security guide's example, verbatim but for the token it elides.
const GUIDE = `curl -H "Authorization: Bearer $TOKEN" \\
     -X POST ${DOC_URL} \\
     -d '{"method": "tools/list"}'`;

const doc = readFileSync(packagePath('docs', 'curl.md'), 'utf8');
const blocks = [...doc.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!);
const [setup, legacy, modern, guide] = blocks as [string, string, string, string];

let hub: HubProcess;
/** The setup block's $TOKEN. */
let token: string;
// curl reads $CURL_HOME/.curlrc: it prints each answer's status after its body, so the run shows every
// step, and no progress meter (the guide's line has no -s; the meter would mix with the answers).
const curlHome = mkdtempSync(path.join(tmpdir(), 'hatago-curl-'));
writeFileSync(path.join(curlHome, '.curlrc'), 'write-out = "\\nHTTP %{http_code}\\n"\nsilent\nshow-error\n');

beforeAll(async () => {
  hub = await startHubProcess(
    {
      mcpServers: { fx: fixtureStdio() },
      security: {
        authentication: { enabled: true, type: 'jwt', secret: '${HATAGO_AUTH_SECRET}', algorithms: ['HS256'] },
        authorization: { enabled: true, defaultRole: 'readonly' },
      },
    },
    { env: { HATAGO_AUTH_SECRET: SECRET } },
  );
  token = (await run('printf "%s" "$TOKEN"')).output;
});

afterAll(async () => {
  await hub?.stop();
  rmSync(curlHome, { recursive: true, force: true });
  if (hub) rmSync(hub.dir, { recursive: true, force: true });
});

/** Runs the doc's setup block and then `block` in one bash, in the hub's folder (where `hatago token` finds its config). */
async function run(block: string): Promise<{ code: number | null; output: string }> {
  const hatago = `${JSON.stringify(process.execPath)} ${JSON.stringify(HATAGO_BIN)}`;
  const script = `set -eu\n${setup}\n${block}`.replaceAll(DOC_URL, hub.mcpUrl).replaceAll('npx hatago', hatago);
  const proc = spawnProcess('bash', ['-c', script], { cwd: hub.dir, env: { CURL_HOME: curlHome, HATAGO_AUTH_SECRET: SECRET } });
  const code = await proc.waitForExit(60000);
  return { code, output: proc.output() };
}

/** The answers of a run: each body with the status curl printed after it. */
function answers(output: string): { status: number; body: string }[] {
  const out: { status: number; body: string }[] = [];
  let body: string[] = [];
  for (const line of output.split('\n')) {
    const m = /^HTTP (\d{3})$/.exec(line);
    if (!m) {
      body.push(line);
      continue;
    }
    out.push({ status: Number(m[1]), body: body.join('\n').trim() });
    body = [];
  }
  return out;
}

const toolNames = (body: string) => (JSON.parse(body) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name);

describe('docs/curl.md', () => {
  it('has the setup, both recipes and the guide line, in that order', () => {
    expect(blocks).toHaveLength(4);
    expect(guide.trim()).toBe(GUIDE);
  });

  it('2025-11-25: initialize, Mcp-Session-Id, notifications/initialized, tools/list, DELETE', async () => {
    const r = await run(`${legacy}\necho "SESSION=$SESSION"`);
    expect(r.code).toBe(0);
    const session = /^SESSION=(.+)$/m.exec(r.output)![1]!;
    const [initialized, list, end, ...rest] = answers(r.output.replace(/^SESSION=.+\n/m, ''));
    expect(rest).toEqual([]);
    expect(initialized).toEqual({ status: 202, body: '' });
    expect(list!.status).toBe(200);
    expect(JSON.parse(list!.body)).toMatchObject({ jsonrpc: '2.0', id: 2 });
    expect(toolNames(list!.body)).toContain('fx_echo');
    expect(end!.status).toBe(200);
    // The DELETE ended it: the id is unknown now.
    const after = await rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: 3, method: 'tools/list' }, headers: { authorization: `Bearer ${token}`, 'mcp-session-id': session } });
    expect({ status: after.status, code: after.json?.error?.data?.code }).toEqual({ status: 404, code: 'ERR_SESSION_NOT_FOUND' });
  });

  it('2026-07-28: a stateless tools/list and tools/call', async () => {
    const r = await run(modern);
    expect(r.code).toBe(0);
    const [list, call, ...rest] = answers(r.output);
    expect(rest).toEqual([]);
    expect(list!.status).toBe(200);
    expect(JSON.parse(list!.body)).toMatchObject({ jsonrpc: '2.0', id: 1, result: { resultType: 'complete', ttlMs: 0, cacheScope: 'private' } });
    expect(toolNames(list!.body)).toContain('fx_echo');
    expect(call!.status).toBe(200);
    expect(JSON.parse(call!.body)).toEqual({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'hello' }], resultType: 'complete' } });
  });
});

describe("the security guide's curl line", () => {
  const auth = () => ({ authorization: `Bearer ${token}` });

  it('as printed: 415 ERR_UNSUPPORTED_MEDIA_TYPE, with what to send', async () => {
    const r = await run(guide);
    expect(r.code).toBe(0);
    const [answer, ...rest] = answers(r.output);
    expect(rest).toEqual([]);
    expect(answer!.status).toBe(415);
    expect(JSON.parse(answer!.body)).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32600,
        message: 'Content-Type must be application/json',
        data: {
          code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
          help: 'Send the body as JSON with the header Content-Type: application/json (curl -d alone sends a form); see docs/curl.md',
        },
      },
    });
  });

  it('with the Content-Type: 400 ERR_INVALID_REQUEST (not JSON-RPC), with what to send', async () => {
    const res = await rawRequest(hub.mcpUrl, { body: '{"method": "tools/list"}', headers: auth() });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32600,
        message: 'Invalid JSON-RPC request',
        data: {
          code: 'ERR_INVALID_REQUEST',
          help: 'Send one JSON-RPC 2.0 message: {"jsonrpc":"2.0","id":1,"method":"...","params":{...}}; see docs/curl.md',
          errors: [{ path: '/', keyword: 'required', message: "must have required property 'jsonrpc'" }],
        },
      },
    });
  });

  it('as a JSON-RPC message, without a session: 400 ERR_SESSION_REQUIRED, with what to send', async () => {
    const res = await rawRequest(hub.mcpUrl, { body: { jsonrpc: '2.0', id: 1, method: 'tools/list' }, headers: auth() });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: {
        code: -32600,
        message: 'Bad Request: Mcp-Session-Id header is required',
        data: {
          code: 'ERR_SESSION_REQUIRED',
          help: 'Send initialize first and repeat its Mcp-Session-Id response header on every request (2025-11-25), or send a stateless 2026-07-28 request with params._meta; see docs/curl.md',
        },
      },
    });
  });

  it('as a 2026-07-28 request without _meta: 400 ERR_INVALID_PARAMS naming the keys, with what to send', async () => {
    const res = await rawRequest(hub.mcpUrl, {
      body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      headers: { ...auth(), 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: {
        code: -32602,
        message: 'Invalid params: the MCP-Protocol-Version header names protocol revision 2026-07-28, but the request is missing the required per-request envelope key(s): _meta',
        data: {
          envelope: { missing: ['_meta'] },
          code: 'ERR_INVALID_PARAMS',
          help: 'A 2026-07-28 request carries params._meta with "io.modelcontextprotocol/protocolVersion": "2026-07-28" and "io.modelcontextprotocol/clientCapabilities": {}; see docs/curl.md',
        },
      },
    });
  });

  it('a session request (initialize) needs no help', async () => {
    const res = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers['mcp-session-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
