// A readable diff of two definitions for `hatago tools diff`: the
// description line by line, then each other field as indented JSON, with
// characters a reader cannot see (zero-width, Unicode tags) spelled out.

/** Zero-width and format characters, and the Unicode tag block: shown as \u{...}. */
const INVISIBLE = /[\u200b-\u200f\u2060-\u2064\ufeff]|\udb40[\udc00-\udc7f]/g;

export function showInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`);
}

/** Lines longer than this many per side are not compared line by line (the LCS table is bounded). */
const MAX_LINES = 2000;

/** `-`/`+`/` ` lines of a longest-common-subsequence diff. */
export function lineDiff(a: string[], b: string[]): string[] {
  if (a.length > MAX_LINES || b.length > MAX_LINES) return [...a.map((l) => `- ${l}`), ...b.map((l) => `+ ${l}`)];
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}

const linesOf = (v: unknown): string[] =>
  v === undefined ? [] : typeof v === 'string' ? showInvisible(v).split('\n') : showInvisible(JSON.stringify(v, null, 2)).split('\n');

/** Per field that differs: its name and its line diff (pinned as `-`, current as `+`). */
export function definitionDiff(pinned: Record<string, unknown>, current: Record<string, unknown>): { field: string; lines: string[] }[] {
  const fields = [...new Set([...Object.keys(pinned), ...Object.keys(current)])].sort((x, y) => (x === 'description' ? -1 : y === 'description' ? 1 : x.localeCompare(y)));
  const out: { field: string; lines: string[] }[] = [];
  for (const field of fields) {
    const a = linesOf(pinned[field]);
    const b = linesOf(current[field]);
    if (a.length === b.length && a.every((l, k) => l === b[k])) continue;
    out.push({ field, lines: lineDiff(a, b) });
  }
  return out;
}
