// A raw SSE reader for tests: opens a GET (or any) request, collects the
// JSON-RPC messages of its events, and lets a test wait for one or for the
// stream's end, event-driven (no polling, no sleeps).
import http from 'node:http';

export interface SseReader {
  status: number;
  messages: Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Resolves with the first message (seen or to come) that matches. */
  waitFor(pred: (m: Record<string, any>) => boolean): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string>, localAddress?: string): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'GET', headers: { accept: 'text/event-stream', ...headers }, ...(localAddress && { localAddress }) }, (res) => {
      const messages: Record<string, any>[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
      const waiters = new Set<() => void>();
      let buf = '';
      let markEnded!: () => void;
      const ended = new Promise<void>((r) => (markEnded = r));
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) messages.push(JSON.parse(data));
        }
        for (const w of waiters) w();
      });
      res.on('end', markEnded);
      res.on('close', markEnded);
      resolve({
        status: res.statusCode ?? 0,
        messages,
        ended,
        close: () => req.destroy(),
        waitFor(pred) {
          return new Promise((ok) => {
            const check = () => {
              const m = messages.find(pred);
              if (m) {
                waiters.delete(check);
                ok(m);
              }
            };
            waiters.add(check);
            check();
          });
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
