import type { Readable, Writable } from 'node:stream';
import { HatagoError, toJsonRpcError } from '../errors/index.js';
import { DEFAULT_LIMITS, exceedsDepth } from '../validation/index.js';
import { LineSplitter } from '../util/line-splitter.js';

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
  private closed = false;

  constructor(
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
    maxLineBytes = DEFAULT_LIMITS.maxBodyBytes,
  ) {
    this.lines = new LineSplitter(maxLineBytes, (l) => {
      if (l.trim() !== '') this.onLine(l);
    }, () => this.refuse(new HatagoError('ERR_BODY_TOO_LARGE')));
  }

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

  // Linear in the bytes read; a line past the bound is answered once and skipped as it arrives.
  private readonly lines: LineSplitter;

  private readonly onData = (chunk: string) => this.lines.push(chunk);

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
