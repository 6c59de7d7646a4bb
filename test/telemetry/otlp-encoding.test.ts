// The hub encodes each span as it ends (src/telemetry/otlp-encoding.ts); what
// it exports must be what the OpenTelemetry SDK's own serializers write for
// the same spans: the same protobuf bytes, the same OTLP/JSON. Spans from the
// SDK's Tracer with every field a span can carry (remote parent, trace state,
// events, links, error status, each attribute type, non-ASCII and long text).
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JSON_ENCODING, PROTOBUF, type SpanEncoding } from '../../src/telemetry/otlp-encoding.js';

const memory = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'hatago-test', 'service.version': '1.0.0' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
const tracer = provider.getTracer('hatago', '0.1.0');

/** The spans of one traced call, from one provider (one resource and scope, as in the hub). */
function spans(): ReadableSpan[] {
  memory.reset();
  const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: new TraceState('vendor=a,other=b') });
  const http = tracer.startSpan('POST /mcp', {
    kind: SpanKind.SERVER,
    attributes: { text: 'é ✓ 日本', count: 42, negative: -7, ratio: 1.5, flag: false, rules: ['rbac.deny', 'pinning.changed'], big: 2 ** 40, huge: 2 ** 60, long: 'x'.repeat(300) },
  }, remote);
  http.addEvent('event', { key: 'value' });
  http.addLink({ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED }, attributes: { n: 1 } });
  http.setStatus({ code: SpanStatusCode.ERROR, message: 'ERR_PERMISSION_DENIED' });
  const child = tracer.startSpan('stage policy', { attributes: { 'hatago.decision_id': 'd-1' } }, trace.setSpan(ROOT_CONTEXT, http));
  child.end();
  tracer.startSpan('mcp tools/call', { kind: SpanKind.INTERNAL }, trace.setSpan(ROOT_CONTEXT, http)).end();
  http.end();
  return memory.getFinishedSpans() as ReadableSpan[];
}

function encode(encoding: SpanEncoding, list: ReadableSpan[]): Buffer {
  const batch = encoding.batch(list[0]!.resource, list[0]!.instrumentationScope);
  for (const s of list) batch.add(s);
  expect(batch.count).toBe(list.length);
  return Buffer.from(batch.finish());
}

describe('OTLP encoding, span by span', () => {
  it('protobuf: the same bytes as the SDK serializer', () => {
    const list = spans();
    expect(encode(PROTOBUF, list).toString('hex')).toBe(Buffer.from(ProtobufTraceSerializer.serializeRequest(list)!).toString('hex'));
  });

  it('protobuf: a batch larger than its first buffer (lengths of more than one varint byte)', () => {
    const list = Array.from({ length: 200 }, () => spans()).flat();
    expect(encode(PROTOBUF, list).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(list)!))).toBe(true);
  });

  it('JSON: the same OTLP/JSON document as the SDK serializer', () => {
    const list = spans();
    const ours = JSON.parse(encode(JSON_ENCODING, list).toString('utf8')) as unknown;
    expect(ours).toEqual(JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(list)!).toString('utf8')));
  });
});
