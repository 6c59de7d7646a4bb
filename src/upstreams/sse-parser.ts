import { LineSplitter } from '../util/line-splitter.js';

/**
 * Incremental text/event-stream parser (WHATWG rules for the fields we use:
 * event, data, id), linear in the bytes pushed. An event whose data passes
 * `maxEventBytes` is not delivered: `onOversize` is called once for it and
 * its remaining lines are dropped until the blank line that ends it.
 */
export class SseParser {
  private event = '';
  /** The last event id seen, kept across events as the WHATWG rules say (what Last-Event-ID resumes from). */
  lastEventId: string | undefined;
  private data: string[] = [];
  private dataBytes = 0;
  private hasData = false;
  private oversized = false;
  private pendingCR = false;
  private readonly lines: LineSplitter;

  constructor(
    private readonly onEvent: (event: string, data: string, id: string | undefined) => void,
    private readonly maxEventBytes = Number.MAX_SAFE_INTEGER,
    private readonly onOversize: (bytes: number) => void = () => undefined,
  ) {
    this.lines = new LineSplitter(maxEventBytes, (l) => this.line(l), (o) => this.tooLarge(o.bytes));
  }

  push(chunk: string): void {
    let s = chunk;
    // A CR ending the previous chunk already ended its line; a LF right after it belongs to it.
    if (this.pendingCR) {
      this.pendingCR = false;
      if (s.startsWith('\n')) s = s.slice(1);
    }
    if (s.includes('\r')) {
      this.pendingCR = s.endsWith('\r');
      s = s.replace(/\r\n?/g, '\n');
    }
    this.lines.push(s);
  }

  private tooLarge(bytes: number): void {
    if (!this.oversized) this.onOversize(bytes);
    this.oversized = true;
    this.data = [];
    this.hasData = false;
  }

  private line(line: string): void {
    if (line === '') {
      if (this.hasData && !this.oversized) this.onEvent(this.event || 'message', this.data.join('\n'), this.lastEventId);
      this.event = '';
      this.data = [];
      this.dataBytes = 0;
      this.hasData = false;
      this.oversized = false;
      return;
    }
    if (this.oversized || line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    if (field === 'data') {
      this.dataBytes += value.length + 1;
      if (this.dataBytes > this.maxEventBytes) return this.tooLarge(this.dataBytes);
      this.data.push(value);
      this.hasData = true;
    } else if (field === 'event') this.event = value;
    // An id with NUL is ignored (WHATWG); an empty one resets it.
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value === '' ? undefined : value;
  }
}
