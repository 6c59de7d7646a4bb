// One Server-Sent Events response: a POST answered as a stream (progress,
// relayed requests, then the result) or the session's standalone GET stream.

import type { ServerResponse } from 'node:http';

/**
 * Bytes a stream may hold unsent for a client that does not read: past
 * this the stream is ended (the client reconnects) rather than buffered
 * without bound in the hub's memory.
 */
export const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

// Headers go out with the first event (or `start()`), so a request the
// policy denies before anything streamed still gets its own HTTP status.
export class SseStream {
  private open = true;
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: Record<string, string> = {},
  ) {
    res.on('close', () => {
      this.open = false;
    });
  }

  get isOpen(): boolean {
    return this.open && !this.res.writableEnded;
  }

  /** True once the 200 and the event-stream headers were sent. */
  get hasStarted(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started || !this.isOpen) return;
    this.started = true;
    this.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', ...this.headers });
    this.res.flushHeaders();
  }

  send(message: unknown): boolean {
    if (!this.isOpen) return false;
    if (this.res.writableLength > MAX_UNSENT_BYTES) {
      this.res.destroy();
      this.open = false;
      return false;
    }
    this.start();
    this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    return true;
  }

  /** An SSE comment (ignored by clients): keeps intermediaries open and finds dead peers. */
  comment(): void {
    if (!this.isOpen || !this.started) return;
    this.res.write(': keep-alive\n\n');
  }

  end(): void {
    if (this.isOpen) this.res.end();
    this.open = false;
  }
}
