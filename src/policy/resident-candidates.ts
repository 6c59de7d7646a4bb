// A list decision's candidates, parsed into the policy's wasm memory once.
//
// opa-wasm parses the whole input JSON on every evaluation: at 1,000 tools
// with pinning facts that is some 300 KB, half the cost of a tools/list
// decision. The candidates are the hub's catalogue, the same (frozen) array
// until it changes, so they are parsed once into a region kept next to the
// policy's data (below the heap mark every evaluation starts from), and each
// decision parses only the rest of its input and links the resident value in
// as `input.candidates` (opa_value_add_path). The policy sees the same input
// document either way; nothing is decided here.
//
// This uses opa-wasm's ABI exports (the ones its own non-fast path uses, and
// opa_value_add_path, which its setData uses for paths) and LoadedPolicy's
// fields `wasmInstance`, `mem`, `dataAddr` and `dataHeapPtr`. When any of them
// is missing (another opa-wasm), `ResidentCandidates.of` returns null and the
// engine evaluates as before.
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';

interface OpaExports {
  opa_malloc(size: number): number;
  opa_json_parse(addr: number, len: number): number;
  opa_json_dump(addr: number): number;
  opa_heap_ptr_get(): number;
  opa_heap_ptr_set(addr: number): void;
  opa_value_add_path(base: number, path: number, value: number): number;
  opa_eval_ctx_new(): number;
  opa_eval_ctx_set_input(ctx: number, input: number): void;
  opa_eval_ctx_set_data(ctx: number, data: number): void;
  opa_eval_ctx_set_entrypoint(ctx: number, entrypoint: number): void;
  opa_eval_ctx_get_result(ctx: number): number;
  eval(ctx: number): number;
}

/** The LoadedPolicy fields used (opa-wasm's own names). */
interface PolicyInternals {
  wasmInstance: { exports: Partial<OpaExports> };
  /** The wasm memory (a WebAssembly.Memory). */
  mem: { readonly buffer: ArrayBuffer };
  dataAddr: number;
  dataHeapPtr: number;
}

const EXPORTS: (keyof OpaExports)[] = [
  'opa_malloc', 'opa_json_parse', 'opa_json_dump', 'opa_heap_ptr_get', 'opa_heap_ptr_set', 'opa_value_add_path',
  'opa_eval_ctx_new', 'opa_eval_ctx_set_input', 'opa_eval_ctx_set_data', 'opa_eval_ctx_set_entrypoint', 'opa_eval_ctx_get_result', 'eval',
];

/** Lists kept resident at once (tools, prompts, resources, templates, and a changed catalogue's new arrays); past it all are parsed anew. */
const MAX_LISTS = 8;

const PATH = new TextEncoder().encode('["candidates"]');

export class ResidentCandidates {
  /** Resident lists: their address in wasm memory. */
  private readonly lists = new Map<readonly unknown[], number>();
  /** Their JSON, to parse them again when the region is rebuilt (a new list, new data). */
  private readonly json = new Map<readonly unknown[], Uint8Array>();
  /** The policy's heap mark without our region (its data's end), or -1 when nothing is resident. */
  private dataEnd = -1;
  private pathAddr = 0;
  private readonly decoder = new TextDecoder();

  private constructor(private readonly p: PolicyInternals, private readonly x: OpaExports) {}

  static of(policy: LoadedPolicy): ResidentCandidates | null {
    const p = policy as unknown as Partial<PolicyInternals>;
    const x = p.wasmInstance?.exports;
    // Not instanceof: the memory's ArrayBuffer may come from another realm (a test runner's sandbox).
    if (!x || Object.prototype.toString.call(p.mem?.buffer) !== '[object ArrayBuffer]' || typeof p.dataAddr !== 'number' || typeof p.dataHeapPtr !== 'number') return null;
    if (!EXPORTS.every((name) => typeof x[name] === 'function')) return null;
    return new ResidentCandidates(p as PolicyInternals, x as OpaExports);
  }

  /** After the policy's data was set again (parsed where the region was): the lists are parsed anew on next use. */
  invalidate(): void {
    this.lists.clear();
    this.dataEnd = -1;
  }

  /** Lists resident now (tests). */
  get size(): number {
    return this.lists.size;
  }

  /**
   * Evaluates `entrypoint` on the input whose other members are `rest` (JSON
   * bytes of an object) and whose `candidates` is `list` (`json`: its JSON
   * bytes, parsed when the list is not resident yet). Returns opa-wasm's
   * result set, or undefined when the input could not be put together (the
   * caller then evaluates the whole input as usual).
   */
  evaluate(rest: Uint8Array, list: readonly unknown[], json: Uint8Array, entrypoint: number): unknown {
    const { x, p } = this;
    let addr = this.lists.get(list);
    if (addr === undefined) {
      addr = this.admit(list, json);
      if (addr === undefined) return undefined;
    }
    x.opa_heap_ptr_set(p.dataHeapPtr);
    const input = this.parse(rest);
    if (input === 0 || x.opa_value_add_path(input, this.pathAddr, addr) !== 0) return undefined;
    const ctx = x.opa_eval_ctx_new();
    x.opa_eval_ctx_set_input(ctx, input);
    x.opa_eval_ctx_set_data(ctx, p.dataAddr);
    x.opa_eval_ctx_set_entrypoint(ctx, entrypoint);
    x.eval(ctx);
    return this.dump(x.opa_eval_ctx_get_result(ctx));
  }

  /** Parses every resident list again with `list` among them, and moves the policy's heap mark past them. */
  private admit(list: readonly unknown[], json: Uint8Array): number | undefined {
    const { x, p } = this;
    if (this.dataEnd < 0) this.dataEnd = p.dataHeapPtr;
    if (this.json.size >= MAX_LISTS) this.json.clear();
    this.json.set(list, json);
    this.lists.clear();
    x.opa_heap_ptr_set(this.dataEnd);
    p.dataHeapPtr = this.dataEnd;
    this.pathAddr = this.parse(PATH);
    if (this.pathAddr === 0) return this.reset();
    for (const [l, bytes] of this.json) {
      const addr = this.parse(bytes);
      if (addr === 0) return this.reset();
      this.lists.set(l, addr);
    }
    // Every evaluation (ours and opa-wasm's own) now starts above the region.
    p.dataHeapPtr = x.opa_heap_ptr_get();
    return this.lists.get(list);
  }

  /** Nothing resident: the policy's heap mark back at its data's end. */
  private reset(): undefined {
    this.lists.clear();
    this.json.clear();
    this.x.opa_heap_ptr_set(this.dataEnd);
    this.p.dataHeapPtr = this.dataEnd;
    return undefined;
  }

  private parse(bytes: Uint8Array): number {
    const at = this.x.opa_malloc(bytes.length);
    new Uint8Array(this.p.mem.buffer).set(bytes, at);
    return this.x.opa_json_parse(at, bytes.length);
  }

  private dump(value: number): unknown {
    const at = this.x.opa_json_dump(value);
    const mem = new Uint8Array(this.p.mem.buffer);
    const end = mem.indexOf(0, at);
    return JSON.parse(this.decoder.decode(mem.subarray(at, end)));
  }
}
