// OTLP trace encodings, written one span at a time: a span is encoded the
// moment it ends (into its batch's bytes), so no span object waits for its
// export. Waiting spans were most of what traces cost the hub: under load a
// span kept for a batch outlived V8's young generation and the full
// collector paid for it (docs/telemetry.md). A batch is then one buffer (or
// one list of strings), whatever its size. The wire format is OTLP's
// (opentelemetry/proto trace/v1, and its JSON mapping), field for field as
// the OpenTelemetry JS SDK's serializers write it; the envelope (resource,
// scope) is encoded once per batch.

import type { AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

type Resource = ReadableSpan['resource'];
type Scope = ReadableSpan['instrumentationScope'];

/** Spans of one resource and scope, encoded as they ended. */
export interface SpanBatch {
  readonly resource: Resource;
  readonly scope: Scope;
  /** Spans in it. */
  count: number;
  add(span: ReadableSpan): void;
  /** The ExportTraceServiceRequest body. */
  finish(): Uint8Array;
}

export interface SpanEncoding {
  readonly contentType: string;
  batch(resource: Resource, scope: Scope): SpanBatch;
}

// Span flags (OTLP SpanFlags): the W3C flags, and "whether the parent is remote is known".
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

const spanFlags = (span: ReadableSpan): number => (span.spanContext().traceFlags & 0xff) | HAS_IS_REMOTE | (span.parentSpanContext?.isRemote ? IS_REMOTE : 0);

// --- protobuf -------------------------------------------------------------

/** The value of each hex digit by character code (ids are lower case; upper case is read too). */
const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 10; i++) NIBBLE[0x30 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[0x61 + i] = NIBBLE[0x41 + i] = 10 + i;

/** A growing protobuf buffer; nested messages are written in place and their length put in front after. */
class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(v: number): void {
    this.room(10);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = v > 0xffffffff ? Math.floor(v / 128) : v >>> 7;
    }
    this.buf[this.pos++] = v;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  string(field: number, s: string): void {
    this.tag(field, 2);
    // Short ASCII (names, keys, most values) byte by byte: cheaper than a call into Buffer.write.
    if (s.length < 0x80) {
      const start = this.pos;
      this.room(s.length + 1);
      this.buf[this.pos++] = s.length;
      let i = 0;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[this.pos++] = c;
      }
      if (i === s.length) return;
      this.pos = start; // not ASCII: as UTF-8 below
    }
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.room(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }

  /** A hex id (trace, span) as its bytes, decoded straight into the buffer. */
  hexBytes(field: number, hex: string): void {
    const n = hex.length >>> 1;
    this.tag(field, 2);
    this.varint(n);
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < hex.length; i += 2) buf[p++] = (NIBBLE[hex.charCodeAt(i) & 0x7f]! << 4) | NIBBLE[hex.charCodeAt(i + 1) & 0x7f]!;
    this.pos = p;
  }

  /** The trace id last written and its bytes: a call's spans share one, and usually end one after another. */
  private traceHex = '';
  private readonly traceBytes = Buffer.alloc(16);

  traceId(field: number, hex: string): void {
    if (hex !== this.traceHex || hex.length !== 32) {
      this.hexBytes(field, hex);
      if (hex.length === 32) {
        this.buf.copy(this.traceBytes, 0, this.pos - 16, this.pos);
        this.traceHex = hex;
      }
      return;
    }
    this.tag(field, 2);
    this.varint(16);
    this.raw(this.traceBytes);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.raw(b);
  }

  /** Bytes that are already fields (encoded spans). */
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** An int64 below zero: ten bytes of two's complement, as protobuf writes negative int64s. */
  negative(v: number): void {
    let u = BigInt.asUintN(64, BigInt(v));
    this.room(10);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  fixed32(field: number, v: number): void {
    this.tag(field, 5);
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** Unix nanoseconds of an HrTime as fixed64, without leaving the safe integers (seconds * 1e9 does). */
  time(field: number, [s, ns]: HrTime): void {
    this.tag(field, 1);
    this.room(8);
    // s * 1e9 = (s * 1953125) * 2^9; s * 1953125 < 2^53 for any s below 2^32.
    const a = s * 1953125;
    const aHi = Math.floor(a / 0x800000); // a / 2^23: the part at or above 2^32 once times 2^9
    let lo = (a - aHi * 0x800000) * 512 + ns;
    let hi = aHi;
    if (lo >= 0x100000000) {
      hi += Math.floor(lo / 0x100000000);
      lo %= 0x100000000;
    }
    this.buf.writeUInt32LE(lo, this.pos);
    this.buf.writeUInt32LE(hi >>> 0, this.pos + 4);
    this.pos += 8;
  }

  /** Starts a length-delimited field; `end(start)` closes it. */
  begin(field: number): number {
    this.tag(field, 2);
    this.room(1);
    return this.pos++;
  }

  end(start: number): void {
    const len = this.pos - start - 1;
    if (len < 0x80) {
      this.buf[start] = len;
      return;
    }
    let size = 1;
    for (let v = len; v > 0x7f; v = Math.floor(v / 128)) size++;
    this.room(size - 1);
    this.buf.copyWithin(start + size, start + 1, this.pos);
    this.pos += size - 1;
    let p = start;
    let v = len;
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[p] = v;
  }

  anyValue(field: number, value: AttributeValue | null | undefined): void {
    const at = this.begin(field);
    if (typeof value === 'string') this.string(1, value);
    else if (typeof value === 'boolean') {
      this.tag(2, 0);
      this.varint(value ? 1 : 0);
    } else if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
        this.tag(3, 0);
        if (value >= 0) this.varint(value);
        else this.negative(value);
      } else this.double(4, value);
    } else if (Array.isArray(value)) {
      const arr = this.begin(5);
      for (const v of value) this.anyValue(1, v);
      this.end(arr);
    }
    this.end(at);
  }

  attributes(field: number, attrs: Record<string, AttributeValue | undefined>): void {
    for (const key in attrs) {
      const value = attrs[key];
      if (value === undefined) continue;
      const kv = this.begin(field);
      this.string(1, key);
      this.anyValue(2, value);
      this.end(kv);
    }
  }

  take(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** One Span message (field 2 of ScopeSpans), fields in the SDK serializer's order. */
function writeProtoSpan(w: ProtoWriter, span: ReadableSpan): void {
  const ctx = span.spanContext();
  const at = w.begin(2);
  w.traceId(1, ctx.traceId);
  w.hexBytes(2, ctx.spanId);
  const state = ctx.traceState?.serialize();
  if (state) w.string(3, state);
  if (span.parentSpanContext?.spanId) w.hexBytes(4, span.parentSpanContext.spanId);
  w.string(5, span.name);
  w.tag(6, 0);
  w.varint(span.kind + 1); // OTLP's kinds are the API's plus one (0 is "unspecified")
  w.time(7, span.startTime);
  w.time(8, span.endTime);
  w.attributes(9, span.attributes);
  w.tag(10, 0);
  w.varint(span.droppedAttributesCount);
  for (const e of span.events) {
    const ev = w.begin(11);
    w.time(1, e.time);
    w.string(2, e.name);
    if (e.attributes) w.attributes(3, e.attributes);
    w.tag(4, 0);
    w.varint(e.droppedAttributesCount ?? 0);
    w.end(ev);
  }
  w.tag(12, 0);
  w.varint(span.droppedEventsCount);
  for (const l of span.links) {
    const lk = w.begin(13);
    w.hexBytes(1, l.context.traceId);
    w.hexBytes(2, l.context.spanId);
    const ls = l.context.traceState?.serialize();
    if (ls) w.string(3, ls);
    if (l.attributes) w.attributes(4, l.attributes);
    w.tag(5, 0);
    w.varint(l.droppedAttributesCount ?? 0);
    w.fixed32(6, (l.context.traceFlags & 0xff) | HAS_IS_REMOTE | (l.context.isRemote ? IS_REMOTE : 0));
    w.end(lk);
  }
  w.tag(14, 0);
  w.varint(span.droppedLinksCount);
  const st = w.begin(15);
  if (span.status.message) w.string(2, span.status.message);
  w.tag(3, 0);
  w.varint(span.status.code);
  w.end(st);
  w.fixed32(16, spanFlags(span));
  w.end(at);
}

/** Resource (field 1 of ResourceSpans) and InstrumentationScope (field 1 of ScopeSpans), encoded once per pair. */
function protoEnvelope(resource: Resource, scope: Scope): { resource: Uint8Array; scope: Uint8Array } {
  const r = new ProtoWriter(256);
  r.attributes(1, resource.attributes);
  r.tag(2, 0);
  r.varint(0);
  const s = new ProtoWriter(64);
  s.string(1, scope.name);
  if (scope.version) s.string(2, scope.version);
  return { resource: Buffer.from(r.take()), scope: Buffer.from(s.take()) };
}

export const PROTOBUF: SpanEncoding = {
  contentType: 'application/x-protobuf',
  batch(resource, scope) {
    const spans = new ProtoWriter(16 * 1024);
    return {
      resource,
      scope,
      count: 0,
      add(span) {
        writeProtoSpan(spans, span);
        this.count++;
      },
      finish() {
        const env = envelopes(protoEnvelopes, resource, scope, protoEnvelope);
        const body = spans.take();
        const w = new ProtoWriter(body.length + env.resource.length + env.scope.length + 64);
        const rs = w.begin(1);
        w.bytes(1, env.resource);
        const ss = w.begin(2);
        w.bytes(1, env.scope);
        w.raw(body);
        if (scope.schemaUrl) w.string(3, scope.schemaUrl);
        w.end(ss);
        if (resource.schemaUrl) w.string(3, resource.schemaUrl);
        w.end(rs);
        return w.take();
      },
    };
  },
};

// --- JSON -----------------------------------------------------------------

function jsonValue(value: AttributeValue | null | undefined): unknown {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(jsonValue) } };
  return {};
}

function jsonAttributes(attrs: Record<string, AttributeValue | undefined>): unknown[] {
  const out: unknown[] = [];
  for (const key in attrs) if (attrs[key] !== undefined) out.push({ key, value: jsonValue(attrs[key]) });
  return out;
}

const nanos = ([s, ns]: HrTime): string => (BigInt(s) * 1_000_000_000n + BigInt(ns)).toString();

function jsonSpan(span: ReadableSpan): string {
  const ctx = span.spanContext();
  const state = ctx.traceState?.serialize();
  return JSON.stringify({
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    ...(state && { traceState: state }),
    ...(span.parentSpanContext?.spanId && { parentSpanId: span.parentSpanContext.spanId }),
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: jsonAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((e) => ({ timeUnixNano: nanos(e.time), name: e.name, attributes: jsonAttributes(e.attributes ?? {}), droppedAttributesCount: e.droppedAttributesCount ?? 0 })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((l) => {
      const ls = l.context.traceState?.serialize();
      return {
        traceId: l.context.traceId,
        spanId: l.context.spanId,
        ...(ls && { traceState: ls }),
        attributes: jsonAttributes(l.attributes ?? {}),
        droppedAttributesCount: l.droppedAttributesCount ?? 0,
        flags: (l.context.traceFlags & 0xff) | HAS_IS_REMOTE | (l.context.isRemote ? IS_REMOTE : 0),
      };
    }),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, ...(span.status.message && { message: span.status.message }) },
    flags: spanFlags(span),
  });
}

export const JSON_ENCODING: SpanEncoding = {
  contentType: 'application/json',
  batch(resource, scope) {
    const spans: string[] = [];
    return {
      resource,
      scope,
      count: 0,
      add(span) {
        spans.push(jsonSpan(span));
        this.count++;
      },
      finish() {
        const env = envelopes(jsonEnvelopes, resource, scope, (r, s) => ({
          resource: JSON.stringify({ attributes: jsonAttributes(r.attributes), droppedAttributesCount: 0 }),
          scope: JSON.stringify({ name: s.name, ...(s.version && { version: s.version }) }),
        }));
        const tail = `${scope.schemaUrl ? `,"schemaUrl":${JSON.stringify(scope.schemaUrl)}` : ''}}]${resource.schemaUrl ? `,"schemaUrl":${JSON.stringify(resource.schemaUrl)}` : ''}}]}`;
        return Buffer.from(`{"resourceSpans":[{"resource":${env.resource},"scopeSpans":[{"scope":${env.scope},"spans":[${spans.join(',')}]${tail}`);
      },
    };
  },
};

// The envelope of each resource and scope pair, made on the first export of the pair (one pair in a hub).
type EnvelopeCache<T> = WeakMap<Resource, WeakMap<Scope, T>>;
const protoEnvelopes: EnvelopeCache<{ resource: Uint8Array; scope: Uint8Array }> = new WeakMap();
const jsonEnvelopes: EnvelopeCache<{ resource: string; scope: string }> = new WeakMap();
function envelopes<T>(cache: EnvelopeCache<T>, resource: Resource, scope: Scope, make: (r: Resource, s: Scope) => T): T {
  let byScope = cache.get(resource);
  if (!byScope) cache.set(resource, (byScope = new WeakMap()));
  let env = byScope.get(scope);
  if (env === undefined) byScope.set(scope, (env = make(resource, scope)));
  return env;
}
