/** Bytes of the arguments as JSON (UTF-8), for the policy: Rego in wasm has no cheap byte size. */
export function argumentsSize(args: Record<string, unknown> | undefined): number {
  return args === undefined ? 0 : Buffer.byteLength(JSON.stringify(args), 'utf8');
}
