#!/usr/bin/env node
// Child process of bench/telemetry.mjs: an OTLP/HTTP traces endpoint that
// keeps what it is sent and decodes nothing while the bench runs (it shares
// the machine with the hub and the clients). GET /stats counts the spans kept
// so far (protobuf or JSON, by content type), so the bench can tell whether
// the traced hub exported every span or dropped some. Prints
// "SINK_LISTENING port=<n>".
import { createServer } from 'node:http';

const bodies = []; // [contentType, Buffer]
let bytes = 0;

/** Spans in one ExportTraceServiceRequest, walking the protobuf wire format (resource_spans 1 > scope_spans 2 > spans 2). */
function protobufSpans(buf) {
  const fields = (b, want) => {
    const out = [];
    let i = 0;
    const varint = () => {
      let v = 0;
      let shift = 0;
      for (;;) {
        const x = b[i++];
        v += (x & 0x7f) * 2 ** shift;
        if (x < 0x80) return v;
        shift += 7;
      }
    };
    while (i < b.length) {
      const tag = varint();
      const type = tag & 7;
      if (type === 0) varint();
      else if (type === 1) i += 8;
      else if (type === 5) i += 4;
      else if (type === 2) {
        const len = varint();
        if (tag >>> 3 === want) out.push(b.subarray(i, i + len));
        i += len;
      } else throw new Error(`wire type ${type}`);
    }
    return out;
  };
  let n = 0;
  for (const rs of fields(buf, 1)) for (const ss of fields(rs, 2)) n += fields(ss, 2).length;
  return n;
}

function jsonSpans(buf) {
  let n = 0;
  for (const rs of JSON.parse(buf.toString('utf8')).resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += (ss.spans ?? []).length;
  return n;
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    let spans = 0;
    for (const [type, body] of bodies) spans += type.includes('protobuf') ? protobufSpans(body) : jsonSpans(body);
    return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ exports: bodies.length, bytes, spans }));
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    bytes += body.length;
    bodies.push([String(req.headers['content-type'] ?? ''), body]);
    const proto = String(req.headers['content-type'] ?? '').includes('protobuf');
    // An empty ExportTraceServiceResponse: zero bytes in protobuf, {} in JSON.
    res.writeHead(200, { 'Content-Type': proto ? 'application/x-protobuf' : 'application/json' }).end(proto ? '' : '{}');
  });
});
process.on('SIGINT', () => process.exit(0));
server.listen(0, '127.0.0.1', () => process.stderr.write(`SINK_LISTENING port=${server.address().port}\n`));
