// OPA's error output as one line per error, `file:row: message`, with a hint
// where the fix is known. Shared by the policy scripts and `hatago policy`.
import { join } from 'node:path';

/** Hints for errors whose cause is the wasm runtime, not the policy author's Rego. */
const HINTS = [
  [/undefined function time\.now_ns/, 'the bundle runs in WebAssembly, which has no clock: use input.now_ns, set by the hub on every decision'],
  [/undefined function /, 'the bundle allows only the built-ins the WebAssembly runtime implements, see docs/policy-contract.md'],
];

function withHint(message) {
  const hint = HINTS.find(([re]) => re.test(message));
  return hint ? `${message} (hint: ${hint[1]})` : message;
}

function errorsOf(text) {
  try {
    const v = JSON.parse(text);
    const list = Array.isArray(v) ? v : Array.isArray(v?.errors) ? v.errors : null;
    if (list && list.every((e) => typeof e?.message === 'string')) return list;
  } catch {
    // not JSON: OPA's text format
  }
  return null;
}

/**
 * Lines of `file:row: message` from OPA's JSON errors ({errors: [...]}) or
 * its text output ("[error: ...:] file.rego:row: code: message"); null when `text` holds neither.
 * `base` prefixes relative file names (OPA ran in another folder).
 */
export function opaErrorLines(text, { base } = {}) {
  const where = (file, row) => `${base && file && !file.startsWith('/') ? join(base, file) : file ?? '?'}:${row ?? '?'}`;
  const errors = errorsOf(text);
  let lines;
  if (errors) {
    lines = errors.map((e) => `${where(e.location?.file, e.location?.row)}: ${withHint(e.message)}`);
  } else {
    lines = text
      .split('\n')
      .map((l) => /(?:^|\s)(\S+?\.rego):(\d+): (?:rego_\w+: )?(.+)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => `${where(m[1], m[2])}: ${withHint(m[3])}`);
  }
  // OPA often reports one parse error twice, the second with more words: keep the longer.
  const kept = lines.filter((l, i) => !lines.some((o, j) => j !== i && o.length > l.length && o.startsWith(l)));
  return kept.length > 0 ? [...new Set(kept)] : null;
}
