// serveStdio: the same hub over a stdin/stdout pair, driven by the real 1.x
// client through a pipe-backed transport (the stdio framing, in process).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CreateMessageRequestSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { serveStdio, type StdioServer } from '../../src/stdio/serve-stdio.js';
import type { CallerContext, GuardRequest, GuardResult } from '../../src/hub/types.js';
import { useProcessCleanup } from '../helpers/processes.js';
import { PermissiveGuard, quietLogger, startHttpFixture, startHub, type Running } from './support.js';

useProcessCleanup();

/** Client side of a stdio link: writes to the server's stdin, reads its stdout. */
class PipeClientTransport implements Transport {
  onmessage?: (m: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (e: Error) => void;
  private readonly buffer = new ReadBuffer();
  constructor(private readonly toServer: PassThrough, private readonly fromServer: PassThrough) {}
  async start() {
    this.fromServer.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (let m = this.buffer.readMessage(); m; m = this.buffer.readMessage()) this.onmessage?.(m);
    });
  }
  async send(m: JSONRPCMessage) {
    this.toServer.write(serializeMessage(m));
  }
  async close() {
    this.toServer.end();
    this.onclose?.();
  }
}

class RecordingGuard extends PermissiveGuard {
  readonly contexts: CallerContext[] = [];
  override async check(ctx: CallerContext, req: GuardRequest): Promise<GuardResult> {
    this.contexts.push(ctx);
    return super.check(ctx, req);
  }
}

let run: Running;
let server: StdioServer;
const guard = new RecordingGuard();
const stdin = new PassThrough();
const stdout = new PassThrough();
const client = new Client({ name: 'stdio-client', version: '1' }, { capabilities: { sampling: {} } });

beforeAll(async () => {
  // The upstream is the HTTP fixture: over a stdio upstream the upstream layer
  // currently drops the last progress notification (see the hub report).
  const fx = await startHttpFixture();
  run = await startHub({ local: { url: fx.url } }, { guard });
  server = await serveStdio(run.hub, { logger: quietLogger, input: stdin, output: stdout });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'm', content: { type: 'text', text: 'from stdio client' } }));
  await client.connect(new PipeClientTransport(stdin, stdout));
});

afterAll(async () => {
  await client.close();
  await server.closed;
  await run.stop();
});

test('serves the hub over stdio with transport "stdio"', async () => {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toContain('local_echo');
  const r = await client.callTool({ name: 'local_echo', arguments: { text: 'piped' } });
  expect(r.content).toEqual([{ type: 'text', text: 'piped' }]);
  expect(guard.contexts.every((c) => c.transport === 'stdio' && c.protocolVersion === '2025-11-25')).toBe(true);
});

test('progress and sampling relay over stdio', async () => {
  const seen: number[] = [];
  await client.callTool({ name: 'local_slow', arguments: { steps: 2, delayMs: 5 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
  expect(seen).toEqual([1, 2]);
  const s = await client.callTool({ name: 'local_sample', arguments: {} });
  expect(s.content).toEqual([{ type: 'text', text: 'from stdio client' }]);
});
