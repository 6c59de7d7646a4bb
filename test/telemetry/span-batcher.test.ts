// The span processor's queue, against a real OTLP/HTTP receiver that holds
// its answers: one export at a time, spans wait in the queue meanwhile, past
// maxQueueSize they are dropped (never a caller held), the drop is told once
// with its count, and shutdown flushes what waited.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { SpanBatcher } from '../../src/telemetry/span-batcher.js';

interface Held {
  spans: number;
  res: ServerResponse;
}

async function holdingReceiver() {
  const held: Held[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
      held.push({ spans: body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length, res });
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const untilExports = async (n: number) => {
    while (held.length < n) await new Promise<void>((r) => waiters.push(r));
  };
  const release = () => {
    for (const h of held) if (!h.res.writableEnded) h.res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, held, untilExports, release, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('SpanBatcher', () => {
  it('exports one batch at a time; spans past maxQueueSize are dropped and told once; shutdown flushes the rest', async () => {
    const receiver = await holdingReceiver();
    const told: number[] = [];
    const batcher = new SpanBatcher({ protocol: 'http/json', url: receiver.url, maxQueueSize: 4, maxExportBatchSize: 2, scheduleDelayMs: 60_000, onDropped: (n) => told.push(n) });
    const provider = new BasicTracerProvider({ spanProcessors: [batcher] });
    const tracer = provider.getTracer('test');
    const spans = (n: number) => { for (let i = 0; i < n; i++) tracer.startSpan(`s${i}`).end(); };
    try {
      spans(2); // a full batch: exported at once, and the receiver holds its answer
      await receiver.untilExports(1);
      spans(6); // two batches wait (the queue of 4), two spans are dropped
      expect(receiver.held.length).toBe(1);
      expect(told).toEqual([]);
      receiver.release();
      await receiver.untilExports(2); // the next full batch goes once the first export is answered
      spans(1); // fits again: the drop is told, with its count
      expect(told).toEqual([2]);
      receiver.release();
      await receiver.untilExports(3);
      receiver.release();
      const shut = provider.shutdown(); // the last, partial batch goes now, not after the delay
      await receiver.untilExports(4);
      receiver.release();
      await shut;
      expect(receiver.held.map((h) => h.spans)).toEqual([2, 2, 2, 1]);
    } finally {
      receiver.release();
      await receiver.close();
    }
  });
});
