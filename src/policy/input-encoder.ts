// Encodes a decision input to the exact-length ArrayBuffer of JSON bytes that
// opa-wasm copies into wasm memory (its fast path skips JSON.stringify there).
// Throws TypeError for input that is not JSON; the engine turns that into a deny.
const MIN_SCRATCH = 16 * 1024;

/**
 * opa-wasm evaluates malformed input JSON as if there were no input at all,
 * which a policy written as "deny unless ..." survives but "allow unless ..."
 * does not. So pre-serialised input is parsed once here to be sure.
 */
function assertJson(text: string): void {
  try {
    JSON.parse(text);
  } catch {
    throw new TypeError('input is not valid JSON');
  }
}

/** Lists shorter than this are cheaper to serialise than to look up. */
const MIN_CACHED_CANDIDATES = 16;

export class InputEncoder {
  /**
   * JSON of frozen `candidates` arrays. A list decision's candidates are the
   * hub's catalogue (about 70 KB at 1,000 tools) and the same array until the
   * catalogue or its pinning facts change (then a new, again frozen, array):
   * serialised once, not on every tools/list. Unfrozen arrays (API callers
   * that may change theirs) are serialised every time.
   */
  private readonly candidatesJson = new WeakMap<readonly unknown[], string>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private scratch = new Uint8Array(MIN_SCRATCH);

  /**
   * The result is always an ArrayBuffer of this module's realm: opa-wasm tells
   * bytes from objects with `instanceof ArrayBuffer`, which a Buffer's pooled
   * or foreign-realm backing store would fail (and be sent as `{}`).
   */
  encode(input: object | string | Uint8Array): ArrayBuffer {
    if (ArrayBuffer.isView(input)) {
      const copy = new Uint8Array(input.byteLength);
      copy.set(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
      assertJson(this.decoder.decode(copy)); // fatal decoder: invalid UTF-8 throws too
      return copy.buffer;
    }
    let text: string;
    if (typeof input === 'string') {
      assertJson(input);
      text = input;
    } else {
      const json: unknown = this.stringify(input); // undefined for functions/symbols
      if (typeof json !== 'string') throw new TypeError('input is not JSON-serialisable');
      text = json;
    }
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (text.length * 3 > this.scratch.length) this.scratch = new Uint8Array(Math.max(text.length * 3, MIN_SCRATCH));
    const { written } = this.encoder.encodeInto(text, this.scratch);
    return this.scratch.buffer.slice(0, written);
  }

  private stringify(input: object): string | undefined {
    const candidates = (input as { candidates?: unknown }).candidates;
    if (!Array.isArray(candidates) || candidates.length < MIN_CACHED_CANDIDATES || !Object.isFrozen(candidates)) return JSON.stringify(input);
    let list = this.candidatesJson.get(candidates);
    if (list === undefined) {
      list = JSON.stringify(candidates);
      this.candidatesJson.set(candidates, list);
    }
    const { candidates: _spliced, ...rest } = input as Record<string, unknown>;
    const head = JSON.stringify(rest);
    return head === '{}' ? `{"candidates":${list}}` : `${head.slice(0, -1)},"candidates":${list}}`;
  }
}
