// Newline framing with a bound, linear in the bytes pushed: pieces of an
// unfinished line are kept in a list and joined once, when the line ends,
// so a long line costs its length, not its length times the chunks it came in.

/** What is kept of a line that went past the bound (its start and its end, for attribution). */
export interface OversizedLine {
  bytes: number;
  head: string;
  tail: string;
}

const KEEP = 1024;

export class LineSplitter {
  private parts: string[] = [];
  private bytes = 0;
  private discarding = false;
  private head = '';
  private tail = '';

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversize: (line: OversizedLine) => void,
  ) {}

  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      this.add(nl < 0 ? chunk.slice(start) : chunk.slice(start, nl));
      if (nl < 0) return;
      this.endLine();
      start = nl + 1;
    }
  }

  private add(piece: string): void {
    if (piece.length === 0) return;
    this.bytes += Buffer.byteLength(piece);
    if (this.discarding) {
      this.tail = (this.tail + piece).slice(-KEEP);
      return;
    }
    if (this.bytes <= this.maxLineBytes) {
      this.parts.push(piece);
      return;
    }
    // Past the bound: keep only the ends, drop the rest as it arrives.
    const sofar = this.parts.join('') + piece;
    this.head = sofar.slice(0, KEEP);
    this.tail = sofar.slice(-KEEP);
    this.parts = [];
    this.discarding = true;
  }

  private endLine(): void {
    if (this.discarding) {
      const over = { bytes: this.bytes, head: this.head, tail: this.tail };
      this.reset();
      this.onOversize(over);
      return;
    }
    const line = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.reset();
    this.onLine(line);
  }

  private reset(): void {
    this.parts = [];
    this.bytes = 0;
    this.discarding = false;
    this.head = '';
    this.tail = '';
  }
}
