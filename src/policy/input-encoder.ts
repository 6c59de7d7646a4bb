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
   * The JSON of frozen `candidates` arrays, as UTF-8. A list
   * decision's candidates are the hub's catalogue (some 70 KB at 1,000 tools,
   * 300 KB with pinning facts) and the same array until the catalogue or its
   * pinning facts change (then a new, again frozen, array): serialised and
   * encoded once, not on every tools/list. Unfrozen arrays (API callers that
   * may change theirs) are serialised every time.
   */
  private readonly candidatesBytes = new WeakMap<readonly unknown[], Uint8Array>();
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
      const cached = this.cachedCandidates(input);
      if (cached) return this.withCandidates(input, cached);
      const json: unknown = JSON.stringify(input); // undefined for functions/symbols
      if (typeof json !== 'string') throw new TypeError('input is not JSON-serialisable');
      text = json;
    }
    return this.utf8(text, '', null);
  }

  /** `text` + `bytes` + `tail` as UTF-8, in an exact-length ArrayBuffer of this realm. */
  private utf8(text: string, tail: string, bytes: Uint8Array | null): ArrayBuffer {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const need = (text.length + tail.length) * 3 + (bytes?.length ?? 0);
    if (need > this.scratch.length) this.scratch = new Uint8Array(Math.max(need, MIN_SCRATCH));
    let at = this.encoder.encodeInto(text, this.scratch).written;
    if (bytes) {
      this.scratch.set(bytes, at);
      at += bytes.length;
    }
    at += this.encoder.encodeInto(tail, this.scratch.subarray(at)).written;
    return this.scratch.buffer.slice(0, at);
  }

  /** The encoded candidates of a frozen list (encoded now if new). */
  private cachedCandidates(input: object): Uint8Array | null {
    const candidates = (input as { candidates?: unknown }).candidates;
    if (!Array.isArray(candidates) || candidates.length < MIN_CACHED_CANDIDATES || !Object.isFrozen(candidates)) return null;
    let bytes = this.candidatesBytes.get(candidates);
    if (bytes === undefined) {
      const json: unknown = JSON.stringify(candidates);
      if (typeof json !== 'string') throw new TypeError('input is not JSON-serialisable');
      bytes = this.encoder.encode(json);
      this.candidatesBytes.set(candidates, bytes);
    }
    return bytes;
  }

  /** The input's other members, then the encoded candidates spliced in as its last member. */
  private withCandidates(input: object, candidates: Uint8Array): ArrayBuffer {
    const head = this.restJson(input);
    return this.utf8(head === '{}' ? '{"candidates":' : `${head.slice(0, -1)},"candidates":`, '}', candidates);
  }

  private restJson(input: object): string {
    const { candidates: _apart, ...rest } = input as Record<string, unknown>;
    const head: unknown = JSON.stringify(rest);
    if (typeof head !== 'string') throw new TypeError('input is not JSON-serialisable');
    return head;
  }

  /**
   * An input with a frozen candidates list, in two parts: the JSON of its
   * other members (an object) and the list with its cached JSON; null for
   * any other input. Throws TypeError like `encode`.
   */
  split(input: object | string | Uint8Array): { rest: Uint8Array; list: readonly unknown[]; json: Uint8Array } | null {
    if (typeof input === 'string' || ArrayBuffer.isView(input)) return null;
    const json = this.cachedCandidates(input);
    if (!json) return null;
    return { rest: new Uint8Array(this.utf8(this.restJson(input), '', null)), list: (input as { candidates: readonly unknown[] }).candidates, json };
  }
}
