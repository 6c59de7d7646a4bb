/** The parts of a bundle's .manifest the runtime reads. */
export interface BundleManifest {
  revision: string;
  roots?: string[];
  /** Wasm modules and the entrypoints they were built for. */
  wasm?: { entrypoint: string; module: string }[];
  rego_version?: number;
  metadata?: Record<string, unknown>;
}

/** A bundle .tar.gz taken apart: format only, nothing instantiated. */
export interface BundleFiles {
  /** policy.wasm bytes. */
  wasm: Uint8Array;
  /** Parsed data.json (`{}` when the bundle has none). */
  data: Record<string, unknown>;
  manifest: BundleManifest;
  /** Parsed .signatures.json, when the bundle is signed (verified elsewhere). */
  signatures?: unknown;
  /** Every regular file by normalized path (no leading '/'), including the above. */
  files: ReadonlyMap<string, Uint8Array>;
}

export interface BundleLimits {
  /** Largest .tar.gz accepted. */
  maxCompressedBytes: number;
  /** Largest total after gunzip (stops decompression bombs). */
  maxUncompressedBytes: number;
  /** Most entries (files and directories) accepted. */
  maxEntries: number;
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = {
  maxCompressedBytes: 32 * 1024 * 1024,
  maxUncompressedBytes: 128 * 1024 * 1024,
  maxEntries: 10_000,
};
