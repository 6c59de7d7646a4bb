// Traces at a real OTLP/HTTP receiver: one tools/call through the hub to an
// HTTP upstream is one trace, continuing the caller's traceparent: the HTTP
// span, the JSON-RPC request's span, one span per lifecycle stage, and the
// upstream's own span as a child of the forward stage (the fixture continues
// the traceparent it received in params._meta). Attributes name the decision
// and the target; never the arguments. The hub exports protobuf unless told
// to export JSON; an encoding it cannot send stops it at start.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { HATAGO_BIN, runHatago, startHubProcess, writeConfig, type HubProcess } from '../helpers/hub-process.js';
import { INITIALIZE, rawRequest } from '../helpers/http-client.js';
import { spawnProcess, useProcessCleanup, type TestProcess } from '../helpers/processes.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { LIFECYCLE } from '../../src/pipeline/lifecycle.js';
import { stopAndRemove } from '../metrics/helpers.js';

useProcessCleanup();

const FIXTURE = path.resolve('test/fixtures/servers/fixture.mjs');
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const SECRET_ARG = 'argument-text-that-must-not-be-in-any-span';

let receiver: OtlpReceiver;
let upstream: TestProcess;
let hub: HubProcess;
let upstreamUrl: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  upstream = spawnProcess(process.execPath, [FIXTURE, 'http'], { env: { FIXTURE_PORT: '0', FIXTURE_OTLP_URL: receiver.url } });
  const port = (await upstream.waitForLine(/FIXTURE_LISTENING port=(\d+)/))[1];
  upstreamUrl = `http://127.0.0.1:${port}/mcp`;
  hub = await startHubProcess(
    {
      mcpServers: { web: { url: upstreamUrl } },
      security: { authorization: { enabled: false } },
      telemetry: { serviceName: 'hatago-under-test', traces: { enabled: true, endpoint: receiver.url } },
    },
    { env: { OTEL_BSP_SCHEDULE_DELAY: '100' } },
  );
});

afterAll(async () => {
  await stopAndRemove(hub);
  await upstream?.kill();
  await receiver?.close();
});

describe('OpenTelemetry traces', () => {
  it('one tools/call is one trace: HTTP span, request span, a span per stage, the upstream as a child of forward', async () => {
    const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
    const sid = String(init.headers['mcp-session-id']);
    const seen = upstream.waitForLine(/FIXTURE_EVENT (\{.*"tool":"echo".*argument-text-that-must-not.*\})/);
    const call = await rawRequest(hub.mcpUrl, {
      body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'web_echo', arguments: { text: SECRET_ARG } } },
      headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25', traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
    });
    expect(call.status).toBe(200);
    const inTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === CALLER_TRACE);
    const spans = inTrace(await receiver.until((all) => {
      const t = inTrace(all);
      return t.some((s) => s.service === 'fixture-upstream') && t.some((s) => s.name === 'POST /mcp') && t.some((s) => s.name === 'mcp tools/call');
    }));
    const one = (name: string) => {
      const found = spans.filter((s) => s.name === name);
      expect([name, found.length]).toEqual([name, 1]);
      return found[0]!;
    };
    const http = one('POST /mcp');
    expect(http).toMatchObject({ service: 'hatago-under-test', parentSpanId: CALLER_SPAN, encoding: 'protobuf', attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 } });
    const request = one('mcp tools/call');
    expect(request.parentSpanId).toBe(http.spanId);
    expect(request.attributes).toMatchObject({ 'rpc.method': 'tools/call', 'mcp.server': 'web', 'mcp.tool': 'web_echo', 'hatago.decision_id': expect.any(String), 'hatago.policy.revision': expect.any(String) });
    let previousEnd = 0n;
    for (const stage of LIFECYCLE) {
      const span = one(`stage ${stage.name}`);
      const parent = stage.scope === 'http' ? http : request;
      expect([stage.name, span.parentSpanId, span.encoding]).toEqual([stage.name, parent.spanId, 'protobuf']);
      // Stage spans are timed on their parent's clock: inside it, in lifecycle order, none overlapping the next.
      expect([stage.name, span.start >= parent.start, span.end <= parent.end, span.start <= span.end]).toEqual([stage.name, true, true, true]);
      if (stage.scope === 'mcp' && stage.name !== 'policy') expect([stage.name, span.start >= previousEnd]).toEqual([stage.name, true]);
      previousEnd = span.end;
    }
    expect(one('stage policy').attributes).toMatchObject({ 'hatago.decision_id': request.attributes['hatago.decision_id'], 'mcp.server': 'web' });
    const upstreamSpan = spans.find((s) => s.service === 'fixture-upstream')!;
    expect({ name: upstreamSpan.name, parent: upstreamSpan.parentSpanId }).toEqual({ name: 'fixture tools/call echo', parent: one('stage forward').spanId });
    // The forward stage's context reached the upstream twice: in params._meta and as the HTTP traceparent header.
    const event = JSON.parse((await seen)[1]!) as { traceparent: string; traceparentHeader: string };
    expect(event).toMatchObject({ traceparent: `00-${CALLER_TRACE}-${one('stage forward').spanId}-01`, traceparentHeader: `00-${CALLER_TRACE}-${one('stage forward').spanId}-01` });
    expect(receiver.bodies.some((b) => b.includes(SECRET_ARG))).toBe(false);
    expect(receiver.bodies.some((b) => b.includes('web_echo'))).toBe(true); // the search can find what a span says
  });

  it('a caller\'s sampled flag decides nothing: flag 00 is traced too, and its _meta traceparent never reaches the upstream', async () => {
    const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
    const sid = String(init.headers['mcp-session-id']);
    const trace = '0123456789abcdef0123456789abcdef';
    const forged = `00-${'f'.repeat(32)}-${'e'.repeat(16)}-01`;
    const seen = upstream.waitForLine(/FIXTURE_EVENT (\{.*"text":"unsampled".*\})/);
    const r = await rawRequest(hub.mcpUrl, {
      body: { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'web_echo', arguments: { text: 'unsampled' }, _meta: { traceparent: forged } } },
      headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25', traceparent: `00-${trace}-${CALLER_SPAN}-00` },
    });
    expect(r.status).toBe(200);
    const spans = await receiver.until((all) => all.some((s) => s.traceId === trace && s.name === 'stage forward'));
    const forward = spans.find((s) => s.traceId === trace && s.name === 'stage forward')!;
    const event = JSON.parse((await seen)[1]!) as { traceparent: string };
    expect(event.traceparent).toBe(`00-${trace}-${forward.spanId}-01`);
  });

  it('a denied or unknown call says why: the stage that failed and its code', async () => {
    const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE });
    const sid = String(init.headers['mcp-session-id']);
    const trace = 'aaaabbbbccccddddeeeeffff00001111';
    const r = await rawRequest(hub.mcpUrl, {
      body: { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'web_nothing', arguments: {} } },
      headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25', traceparent: `00-${trace}-${CALLER_SPAN}-01` },
    });
    expect(r.json.error.data.code).toBe('ERR_UNKNOWN_TOOL');
    const spans = await receiver.until((all) => all.some((s) => s.traceId === trace && s.name === 'mcp tools/call'));
    const routing = spans.find((s) => s.traceId === trace && s.name === 'stage routing')!;
    expect(routing.attributes).toMatchObject({ 'hatago.error.code': 'ERR_UNKNOWN_TOOL' });
    expect(spans.some((s) => s.traceId === trace && s.name === 'stage forward')).toBe(false);
  });

  /** A second hub on the same upstream and receiver, with its own traces settings; stopped and removed after `fn`. */
  async function withHub(service: string, traces: Record<string, unknown>, fn: (h: HubProcess) => Promise<void>, env: Record<string, string> = {}): Promise<void> {
    const other = await startHubProcess(
      { mcpServers: { web: { url: upstreamUrl } }, security: { authorization: { enabled: false } }, telemetry: { serviceName: service, traces: { enabled: true, endpoint: receiver.url, ...traces } } },
      { env: { OTEL_BSP_SCHEDULE_DELAY: '100', ...env } },
    );
    try {
      await fn(other);
    } finally {
      await stopAndRemove(other);
    }
  }

  async function tracedCall(h: HubProcess, trace: string, text: string): Promise<void> {
    const init = await rawRequest(h.mcpUrl, { body: INITIALIZE });
    const r = await rawRequest(h.mcpUrl, {
      body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'web_echo', arguments: { text } } },
      headers: { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25', traceparent: `00-${trace}-${CALLER_SPAN}-01` },
    });
    expect(r.status).toBe(200);
  }

  it('telemetry.traces.protocol http/json exports the same trace as OTLP/JSON, in batches of maxExportBatchSize', async () => {
    const trace = '1111222233334444555566667777aaaa';
    await withHub('hatago-json', { protocol: 'http/json', maxExportBatchSize: 3 }, async (h) => {
      await tracedCall(h, trace, 'json');
      const spans = (await receiver.until((all) => all.filter((s) => s.traceId === trace && s.service === 'hatago-json').length >= LIFECYCLE.length + 2)).filter((s) => s.traceId === trace && s.service === 'hatago-json');
      expect(spans.map((s) => s.name).sort()).toEqual(['POST /mcp', 'mcp tools/call', ...LIFECYCLE.map((l) => `stage ${l.name}`)].sort());
      expect(new Set(spans.map((s) => s.encoding))).toEqual(new Set(['json']));
      const request = spans.find((s) => s.name === 'mcp tools/call')!;
      expect(spans.find((s) => s.name === 'stage forward')!.parentSpanId).toBe(request.spanId);
      // The call's spans ended within milliseconds of each other: batches of 3 fill before the 100 ms delay.
      const perExport = new Map<number, number>();
      for (const s of receiver.spans.filter((r) => r.service === 'hatago-json')) perExport.set(s.batch, (perExport.get(s.batch) ?? 0) + 1);
      expect(Math.max(...perExport.values())).toBe(3);
    });
  });

  it('a sampled-out request makes no spans and still hands the upstream its trace, unsampled', async () => {
    const trace = '9999888877776666555544443333bbbb';
    const seen = upstream.waitForLine(/FIXTURE_EVENT (\{.*"text":"sampled-out".*\})/);
    await withHub('hatago-sampled-out', { sampleRatio: 0 }, async (h) => {
      await tracedCall(h, trace, 'sampled-out');
      const event = JSON.parse((await seen)[1]!) as { traceparent: string; traceparentHeader: string };
      // The trace goes on (same trace id) with the sampled flag off, in _meta and as the HTTP header.
      expect(event.traceparent).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-00$`));
      expect(event.traceparentHeader).toBe(event.traceparent);
    });
    // Stopping the hub flushed its queue: nothing of this trace was exported by it.
    expect(receiver.spans.filter((s) => s.service === 'hatago-sampled-out')).toEqual([]);
  });

  it('an OTLP encoding the hub cannot send stops it at start, naming the variable', async () => {
    const { dir, file } = writeConfig({ mcpServers: {}, http: { host: '127.0.0.1', port: 0 }, telemetry: { traces: { enabled: true, endpoint: receiver.url } } });
    try {
      const { code, output } = await runHatago(['serve', '--config', file], { env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' } });
      expect(code).toBe(1);
      expect(output).toContain('hatago: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc: traces are exported over OTLP/HTTP only (http/protobuf or http/json) [ERR_CONFIG_INVALID]');
      expect(output).not.toContain('hatago listening');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('over stdio the request span is the root (a child of params._meta.traceparent), its stage spans inside it', async () => {
    const trace = 'cccc0000dddd1111eeee2222ffff3333';
    const { dir, file } = writeConfig({
      mcpServers: { web: { url: upstreamUrl } },
      logging: { file: false },
      security: { authorization: { enabled: false } },
      telemetry: { serviceName: 'hatago-stdio', traces: { enabled: true, endpoint: receiver.url } },
    });
    const client = new Client({ name: 'traces-stdio', version: '1.0.0' });
    try {
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [HATAGO_BIN, 'serve', '--stdio', '--config', file], cwd: dir, env: { ...process.env, OTEL_BSP_SCHEDULE_DELAY: '100' } as Record<string, string>, stderr: 'ignore' }));
      const r = (await client.callTool({ name: 'web_echo', arguments: { text: 'over stdio' }, _meta: { traceparent: `00-${trace}-${CALLER_SPAN}-01` } })) as { content: { text: string }[] };
      expect(r.content[0]?.text).toBe('over stdio');
      const mcpStages = LIFECYCLE.filter((l) => l.scope === 'mcp');
      const spans = (await receiver.until((all) => all.filter((s) => s.traceId === trace && s.service === 'hatago-stdio').length >= mcpStages.length + 1)).filter((s) => s.traceId === trace && s.service === 'hatago-stdio');
      const request = spans.find((s) => s.name === 'mcp tools/call')!;
      expect({ parent: request.parentSpanId, transport: request.attributes['mcp.transport'] }).toEqual({ parent: CALLER_SPAN, transport: 'stdio' });
      for (const stage of mcpStages) {
        const span = spans.find((s) => s.name === `stage ${stage.name}`);
        expect([stage.name, span?.parentSpanId, span !== undefined && span.start >= request.start && span.end <= request.end]).toEqual([stage.name, request.spanId, true]);
      }
    } finally {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
