// The decision log: one JSON line per request decision, written off the
// request path. It is a debugging and replay aid, not the audit trail: it
// buffers, drops when overwhelmed, and never fails or delays a request.
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { DecisionEvent } from '../../pipeline/policy/policy-guard.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import { createSanitizer } from '../../log/sanitizer.js';
import { maskDecisionInput, type Sanitizer } from './mask.js';
import type { DecisionRecord } from './record.js';

export const DEFAULT_DECISION_LOG_FILE = path.join('logs', 'decisions.log');

export interface DecisionLogOptions {
  file: string;
  /** Masks a value (default: the log sanitizer with its default fields and patterns). */
  sanitize?: Sanitizer;
  /** Events held before new ones are dropped (default 10000). */
  maxBuffered?: number;
  logger?: Logger;
}

export interface DecisionLogStatus {
  file: string;
  written: number;
  dropped: number;
  failed: number;
}

export class DecisionLog {
  readonly file: string;
  private readonly sanitize: Sanitizer;
  private readonly maxBuffered: number;
  private readonly log: Logger;
  private buffer: DecisionEvent[] = [];
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();
  private handle: Promise<FileHandle> | undefined;
  private counts = { written: 0, dropped: 0, failed: 0 };
  private closed = false;

  constructor(opts: DecisionLogOptions) {
    this.file = path.resolve(opts.file);
    this.sanitize = opts.sanitize ?? createSanitizer().value;
    this.maxBuffered = opts.maxBuffered ?? 10_000;
    this.log = (opts.logger ?? silentLogger).child({ component: 'decision-log' });
  }

  /** The onDecision hook: O(1), never throws, never waits. */
  readonly record = (event: DecisionEvent): void => {
    if (this.closed) return;
    if (this.buffer.length >= this.maxBuffered) {
      this.counts.dropped++;
      return;
    }
    this.buffer.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      // After the current I/O phase: masking and serialising happen off the request path.
      setImmediate(() => {
        this.scheduled = false;
        this.writing = this.writing.then(() => this.flush());
      });
    }
  };

  status(): DecisionLogStatus {
    return { file: this.file, ...this.counts };
  }

  /** Writes what is buffered, then closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    await this.flush();
    if (this.handle) await (await this.handle.catch(() => undefined))?.close().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    const batch = this.buffer;
    if (batch.length === 0) return;
    this.buffer = [];
    let text = '';
    for (const e of batch) {
      const rec: DecisionRecord = {
        decisionId: e.decisionId,
        revision: e.revision,
        timestamp: e.timestamp,
        input: maskDecisionInput(e.input, this.sanitize),
        result: e.result,
      };
      text += `${JSON.stringify(rec)}\n`;
    }
    try {
      this.handle ??= this.openFile();
      await (await this.handle).appendFile(text, 'utf8');
      this.counts.written += batch.length;
    } catch (err) {
      this.handle = undefined;
      this.counts.failed += batch.length;
      this.log.warn('decision log write failed; records dropped', { file: this.file, records: batch.length, error: (err as Error).message });
    }
  }

  private openFile(): Promise<FileHandle> {
    mkdirSync(path.dirname(this.file), { recursive: true });
    return open(this.file, 'a');
  }
}
