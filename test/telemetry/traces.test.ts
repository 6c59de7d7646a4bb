// Traces at a real OTLP/HTTP receiver: one tools/call through the hub to an
// HTTP upstream is one trace, continuing the caller's traceparent: the HTTP
// span, the JSON-RPC request's span, one span per lifecycle stage, and the
// upstream's own span as a child of the forward stage (the fixture continues
// the traceparent it received in params._meta). Attributes name the decision
// and the target; never the arguments.
import path from 'node:path';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
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

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  upstream = spawnProcess(process.execPath, [FIXTURE, 'http'], { env: { FIXTURE_PORT: '0', FIXTURE_OTLP_URL: receiver.url } });
  const port = (await upstream.waitForLine(/FIXTURE_LISTENING port=(\d+)/))[1];
  hub = await startHubProcess(
    {
      mcpServers: { web: { url: `http://127.0.0.1:${port}/mcp` } },
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
    expect(http).toMatchObject({ service: 'hatago-under-test', parentSpanId: CALLER_SPAN, attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 } });
    const request = one('mcp tools/call');
    expect(request.parentSpanId).toBe(http.spanId);
    expect(request.attributes).toMatchObject({ 'rpc.method': 'tools/call', 'mcp.server': 'web', 'mcp.tool': 'web_echo', 'hatago.decision_id': expect.any(String), 'hatago.policy.revision': expect.any(String) });
    for (const stage of LIFECYCLE) {
      const span = one(`stage ${stage.name}`);
      expect([stage.name, span.parentSpanId]).toEqual([stage.name, stage.scope === 'http' ? http.spanId : request.spanId]);
    }
    const upstreamSpan = spans.find((s) => s.service === 'fixture-upstream')!;
    expect({ name: upstreamSpan.name, parent: upstreamSpan.parentSpanId }).toEqual({ name: 'fixture tools/call echo', parent: one('stage forward').spanId });
    // The forward stage's context reached the upstream twice: in params._meta and as the HTTP traceparent header.
    const event = JSON.parse((await seen)[1]!) as { traceparent: string; traceparentHeader: string };
    expect(event).toMatchObject({ traceparent: `00-${CALLER_TRACE}-${one('stage forward').spanId}-01`, traceparentHeader: `00-${CALLER_TRACE}-${one('stage forward').spanId}-01` });
    expect(JSON.stringify(receiver.spans)).not.toContain(SECRET_ARG);
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
});
