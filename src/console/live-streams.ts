// Live updates for the console: server-sent events, bounded three ways. At
// most `max` streams are open (the next one gets 429 ERR_CONSOLE_STREAM_LIMIT);
// a stream whose socket is backed up queues at most `queue` events, then is
// closed (the page reconnects and reloads what it shows); and every
// `heartbeatMs` each stream gets a heartbeat, after its token is checked again
// (expired or revoked: the stream ends with an `end` event).
import type { ServerResponse } from 'node:http';
import { HatagoError } from '../errors/index.js';

export interface StreamOwner {
  /** Still allowed? Checked before each heartbeat and after a policy change. */
  check(reason: 'heartbeat' | 'policy'): Promise<string | null>;
}

interface Stream {
  res: ServerResponse;
  owner: StreamOwner;
  queue: string[];
  blocked: boolean;
  closed: boolean;
}

export interface LiveStreamOptions {
  max: number;
  queue: number;
  heartbeatMs: number;
}

const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export class LiveStreams {
  private readonly streams = new Set<Stream>();
  private timer: NodeJS.Timeout | undefined;
  private overflowed = 0;

  constructor(private readonly opts: LiveStreamOptions) {}

  get open(): number {
    return this.streams.size;
  }

  status(): { open: number; max: number; closedSlow: number } {
    return { open: this.streams.size, max: this.opts.max, closedSlow: this.overflowed };
  }

  /** Throws ERR_CONSOLE_STREAM_LIMIT when `max` streams are open. Writes the headers and a `hello`. */
  accept(res: ServerResponse, owner: StreamOwner, headers: Record<string, string>, hello: unknown): void {
    if (this.streams.size >= this.opts.max) throw new HatagoError('ERR_CONSOLE_STREAM_LIMIT', { data: { max: this.opts.max } });
    const s: Stream = { res, owner, queue: [], blocked: false, closed: false };
    this.streams.add(s);
    res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.on('close', () => this.drop(s));
    res.on('drain', () => this.drain(s));
    this.write(s, frame('hello', hello));
    this.timer ??= this.startHeartbeat();
  }

  broadcast(event: string, data: unknown): void {
    if (this.streams.size === 0) return;
    const text = frame(event, data);
    for (const s of this.streams) this.write(s, text);
  }

  /** Re-asks every stream's owner (a new policy may not grant the console any more). */
  recheck(reason: 'heartbeat' | 'policy'): void {
    for (const s of this.streams) {
      s.owner.check(reason).then(
        (refused) => {
          if (refused !== null) this.end(s, refused);
        },
        () => this.end(s, 'check failed'),
      );
    }
  }

  closeAll(): void {
    for (const s of [...this.streams]) this.end(s, 'hub stopping');
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private startHeartbeat(): NodeJS.Timeout {
    const t = setInterval(() => {
      this.recheck('heartbeat');
      this.broadcast('heartbeat', { at: new Date().toISOString() });
    }, this.opts.heartbeatMs);
    t.unref();
    return t;
  }

  private write(s: Stream, text: string): void {
    if (s.closed) return;
    if (s.blocked) {
      if (s.queue.length >= this.opts.queue) {
        this.overflowed++;
        this.drop(s);
        s.res.destroy();
        return;
      }
      s.queue.push(text);
      return;
    }
    if (!s.res.write(text)) s.blocked = true;
  }

  private drain(s: Stream): void {
    s.blocked = false;
    while (!s.blocked && s.queue.length > 0) {
      if (!s.res.write(s.queue.shift()!)) s.blocked = true;
    }
  }

  private end(s: Stream, reason: string): void {
    if (s.closed) return;
    this.write(s, frame('end', { reason }));
    this.drop(s);
    s.res.end();
  }

  private drop(s: Stream): void {
    s.closed = true;
    this.streams.delete(s);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
