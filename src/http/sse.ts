// One Server-Sent Events response: a POST answered as a stream (progress,
// relayed requests, then the result) or the session's standalone GET stream.

import type { ServerResponse } from 'node:http';

export class SseStream {
  private open = true;

  constructor(private readonly res: ServerResponse, headers: Record<string, string> = {}) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', ...headers });
    res.flushHeaders();
    res.on('close', () => {
      this.open = false;
    });
  }

  get isOpen(): boolean {
    return this.open && !this.res.writableEnded;
  }

  send(message: unknown): boolean {
    if (!this.isOpen) return false;
    this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    return true;
  }

  end(): void {
    if (this.isOpen) this.res.end();
    this.open = false;
  }
}
