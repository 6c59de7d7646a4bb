// Masking patterns compiled for RE2 (re2js, a pure-JS port): matching time is
// linear in the input whatever the pattern, so neither a hostile log line nor
// an operator's pattern can stall the event loop the way a backtracking
// JavaScript RegExp can (`[\w.-]*x[\w.-]*=` on `a=aaaa…` is quadratic there).
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

/** A compiled pattern; `test` runs on RE2's DFA, so it is the cheap gate before a replace. */
export type LinearPattern = RE2JS;

// Loaded on the first compile, not with the logger: re2js is some 300 KB of JavaScript that a hub whose log
// lines carry none of the patterns' literal anchors (the default start-up) never needs before it serves.
let engine: typeof RE2JS | undefined;
const re2 = (): typeof RE2JS => (engine ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JS }).RE2JS);

/** What makes a pattern impossible for RE2, in words an operator can act on; undefined when it compiles. */
export function linearPatternProblem(pattern: string): string | undefined {
  const feature = backtrackingFeature(pattern);
  if (feature !== undefined) return `uses a ${feature}, which the linear-time engine (RE2) cannot run`;
  try {
    re2().compile(pattern);
    return undefined;
  } catch (err) {
    const why = (err as Error).message.replace(/^error parsing regexp: /, '');
    return `is not a pattern the linear-time engine (RE2 syntax) accepts: ${why}`;
  }
}

/** The first backreference or lookaround in a pattern (outside escapes and character classes). */
function backtrackingFeature(p: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(n) || (n === 'k' && p[i + 2] === '<'))) return `backreference (${p.slice(i, i + 2)})`;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (p[i + 1] === '^') i++;
      if (p[i + 1] === ']') i++; // a leading ] is literal
    } else if (c === '(' && p[i + 1] === '?') {
      const look = /^\(\?<?[=!]/.exec(p.slice(i, i + 4));
      if (look) return `${look[0].includes('<') ? 'lookbehind' : 'lookahead'} (${look[0]}…)`;
    }
  }
  return undefined;
}

/** Compiles a pattern for RE2, or null when RE2 refuses it (config validation reports why). */
export function compileLinear(pattern: string): LinearPattern | null {
  try {
    return re2().compile(pattern);
  } catch {
    return null;
  }
}

/** One RE2 that matches wherever any of `patterns` matches: a single DFA pass tells whether any replace is needed. */
export function anyOf(patterns: readonly LinearPattern[]): LinearPattern | null {
  if (patterns.length === 0) return null;
  const alt = patterns.map((p) => `(?:${p.pattern()})`).join('|');
  return compileLinear(alt);
}

/** Gets a match, its capture groups (undefined where a group took no part), and where it starts in `input`. */
export type Replacer = (match: string, groups: (string | undefined)[], offset: number, input: string) => string;

/** Replaces every match with what `replace` returns. */
export function replaceAllLinear(re: LinearPattern, s: string, replace: Replacer): string {
  if (!re.test(s)) return s;
  const n = re.groupCount();
  return re.matcher(s).replaceAll((...args: unknown[]) => {
    const groups = (args.slice(1, 1 + n) as (string | null | undefined)[]).map((g) => (g === null ? undefined : g));
    return replace(String(args[0]), groups, Number(args[1 + n]), s);
  });
}
