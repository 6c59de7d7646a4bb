import type { Readable, Writable } from 'node:stream';
import { HatagoError, toJsonRpcError } from '../errors/index.js';
import { DEFAULT_LIMITS, exceedsDepth } from '../validation/index.js';

/**
 * MCP's stdio framing: one JSON-RPC message per line. Unlike the SDK's
 * transport, which drops what its own schema rejects without a word, every
 * line reaches the hub's validation, and a line that is not JSON, too long or
 * too deep is answered (id null) as HTTP answers such a body.
 */
export class JsonLinesTransport {
  onmessage?: (message: unknown) => void;
  onerror?: (err: Error) => void;
  onclose?: () => void;
  private buffer = '';
  private discarding = false;
  private closed = false;

  constructor(
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
    private readonly maxLineBytes = DEFAULT_LIMITS.maxBodyBytes,
  ) {}

  async start(): Promise<void> {
    this.input.setEncoding('utf8');
    this.input.on('data', this.onData);
    this.input.on('error', this.onError);
  }

  send(message: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('stdio transport closed'));
      this.output.write(`${JSON.stringify(message)}\n`, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('error', this.onError);
    this.onclose?.();
  }

  private readonly onError = (err: Error) => this.onerror?.(err);

  private readonly onData = (chunk: string) => {
    let rest = chunk;
    for (;;) {
      const nl = rest.indexOf('\n');
      if (nl < 0) {
        if (!this.discarding) this.buffer += rest;
        if (Buffer.byteLength(this.buffer) > this.maxLineBytes) {
          // Too long: answer once and skip the rest of this line.
          this.buffer = '';
          this.discarding = true;
          this.refuse(new HatagoError('ERR_BODY_TOO_LARGE'));
        }
        return;
      }
      const line = this.discarding ? '' : this.buffer + rest.slice(0, nl);
      this.buffer = '';
      this.discarding = false;
      rest = rest.slice(nl + 1);
      if (line.trim() !== '') this.onLine(line);
    }
  };

  private onLine(line: string): void {
    if (exceedsDepth(line, DEFAULT_LIMITS.maxDepth)) {
      this.refuse(new HatagoError('ERR_LIMIT_EXCEEDED', { data: { limit: 'depth', max: DEFAULT_LIMITS.maxDepth } }));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.refuse(new HatagoError('ERR_PARSE'));
      return;
    }
    this.onmessage?.(message);
  }

  private refuse(err: HatagoError): void {
    void this.send(toJsonRpcError(err, null).body).catch(() => undefined);
  }
}
