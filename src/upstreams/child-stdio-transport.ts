import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { deserializeMessage, serializeMessage, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/client';
import { LineSplitter, type OversizedLine } from '../util/line-splitter.js';
import { RESPONSE_TOO_LARGE, type ResponseLimits } from './response-limits.js';
import { ERROR_CODES } from '../errors/index.js';

export interface ChildStdioOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  limits: ResponseLimits;
}

type Id = string | number;

/** Requests remembered as in flight, at most. */
const MAX_PENDING = 10_000;

/**
 * A stdio upstream as an SDK Transport, with a bound on every line read
 * from the child. The SDK's own stdio transport gives up the whole
 * connection when one line passes its read buffer, so a single oversized
 * answer restarted the child and failed every caller's calls. Here a line
 * past `maxResponseBytes` is skipped as it streams in, and only the request
 * it answered fails: with a JSON-RPC error (data.reason
 * "response_too_large") handed to the client in place of the answer.
 */
export class ChildStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcess | undefined;
  /** Ids of requests sent to the child and not yet answered: whose answer an oversized line was. */
  private readonly pending = new Set<Id>();
  private readonly stderrStream = new PassThrough();
  private readonly lines: LineSplitter;

  constructor(private readonly opts: ChildStdioOptions) {
    this.lines = new LineSplitter(opts.limits.maxResponseBytes, (l) => this.onLine(l), (o) => this.onOversize(o));
  }

  /** The child's stderr (available before start). */
  get stderr(): Readable {
    return this.stderrStream;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('ChildStdioTransport already started');
    return new Promise((resolve, reject) => {
      const child = spawn(this.opts.command, this.opts.args, {
        env: this.opts.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        ...(this.opts.cwd !== undefined && { cwd: this.opts.cwd }),
      });
      this.child = child;
      child.on('error', (err) => {
        reject(err);
        this.onerror?.(err);
      });
      child.on('spawn', () => resolve());
      child.on('close', () => {
        this.child = undefined;
        this.onclose?.();
      });
      child.stdin?.on('error', (err) => this.onerror?.(err));
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        // Nothing a child writes may throw past here: it would end the hub for everyone.
        try {
          this.lines.push(chunk);
        } catch (err) {
          this.onerror?.(err instanceof Error ? err : new Error(String(err)));
        }
      });
      child.stdout?.on('error', (err) => this.onerror?.(err));
      child.stderr?.pipe(this.stderrStream);
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child?.stdin;
      if (!stdin || stdin.destroyed) return reject(new Error('Not connected'));
      // A child that stops reading gets no more than one answer's worth queued: past that the send fails.
      if (stdin.writableLength > this.opts.limits.maxResponseBytes) return reject(new Error('upstream is not reading its input'));
      const m = message as { id?: unknown; method?: unknown; params?: { requestId?: unknown } };
      if (typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number')) this.track(m.id);
      // A request we gave up on (timeout, cancel) no longer waits for an answer.
      if (m.method === 'notifications/cancelled') this.pending.delete(m.params?.requestId as Id);
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const wait = (ms: number) => Promise.race([closed, new Promise<void>((r) => setTimeout(r, ms).unref())]);
    try {
      child.stdin?.end();
    } catch {
      // already gone
    }
    await wait(2000);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await wait(2000);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Remembers an id in flight; bounded, the oldest forgotten first (a request the SDK gave up on without a cancel). */
  private track(id: Id): void {
    if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.values().next().value as Id);
    this.pending.add(id);
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch (err) {
      // As the SDK transport does: a line that is not a JSON-RPC message is reported, not fatal.
      this.onerror?.(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const m = message as { id?: unknown; method?: unknown };
    if (m.method === undefined && (typeof m.id === 'string' || typeof m.id === 'number')) this.pending.delete(m.id);
    this.onmessage?.(message);
  }

  private onOversize(line: OversizedLine): void {
    const id = this.attribute(line);
    if (id === undefined) {
      this.onerror?.(new Error(`upstream sent a ${line.bytes}-byte line that answers no request in flight; dropped`));
      return;
    }
    this.pending.delete(id);
    this.onmessage?.({
      jsonrpc: '2.0',
      id,
      error: {
        code: ERROR_CODES.ERR_UPSTREAM_ERROR.rpc,
        message: 'Upstream answer too large',
        data: { reason: RESPONSE_TOO_LARGE, bytes: line.bytes, maxResponseBytes: this.opts.limits.maxResponseBytes },
      },
    } as JSONRPCMessage);
  }

  /**
   * Which request an oversized line answered: the one whose id stands as the
   * message's first or last member (servers write `{"jsonrpc":"2.0","id":N,...}`
   * or `{...,"jsonrpc":"2.0","id":N}`); else, when the line names no id
   * there, the only request in flight. A line that names an id no request
   * has (or one that is not a JSON value) answers none.
   */
  private attribute(line: OversizedLine): Id | undefined {
    const head = /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)/.exec(line.head)?.[1];
    const tail = /"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)\s*\}\s*$/.exec(line.tail)?.[1];
    const named = [head, tail].filter((raw): raw is string => raw !== undefined);
    for (const raw of named) {
      let id: unknown;
      try {
        id = JSON.parse(raw);
      } catch {
        continue; // not a JSON value after all (a bad escape, leading zeros)
      }
      if ((typeof id === 'string' || typeof id === 'number') && this.pending.has(id)) return id;
    }
    if (named.length > 0 || this.pending.size !== 1) return undefined;
    return this.pending.values().next().value;
  }
}
