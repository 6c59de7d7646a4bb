// `password=x`, `API_KEY = x` and `"token":"x"` in free text, found by one
// left-to-right scan. The regex this replaces (`[\w.-]*(?:frag)[\w.-]*\s*=`)
// restarted inside every run of name characters, which is quadratic on
// `a=aaaa…`; here each character is looked at a bounded number of times.

const isNameChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 /* _ */ || c === 46 /* . */ || c === 45; /* - */
const isQuote = (c: number): boolean => c === 34 || c === 39;
const isSpace = (ch: string): boolean => /\s/.test(ch);
// A value ends at white space, a quote, or one of & , ; } (query strings, JSON, env lists).
const endsValue = (ch: string): boolean => isSpace(ch) || ch === '"' || ch === "'" || ch === '&' || ch === ',' || ch === ';' || ch === '}';

/**
 * Masks the value of every assignment whose name (a run of letters, digits,
 * `_`, `.`, `-`) contains one of `fragments` (lower case), as `name=value`
 * or as a quoted JSON key `"name": value`. A bare `name: value` is left
 * alone: prose such as "authentication failed: reason" is common.
 *
 * Two scans, `=` assignments first and quoted keys over what that left, as
 * the two regexes did one after the other: a quoted key's value can hold an
 * assignment whose own value runs past it (`"password":pw= secret`), and
 * both are masked.
 */
export function maskAssignments(s: string, fragments: readonly string[], mask: string): string {
  if (fragments.length === 0) return s;
  return maskScan(maskScan(s, fragments, mask, '='), fragments, mask, ':');
}

/** One left-to-right scan for one form: `name=value` (sep `=`) or `"name": value` (sep `:`). */
function maskScan(s: string, fragments: readonly string[], mask: string, form: '=' | ':'): string {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < s.length) {
    if (!isNameChar(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < s.length && isNameChar(s.charCodeAt(i))) i++;
    const quoted = start > 0 && isQuote(s.charCodeAt(start - 1)) && i < s.length && isQuote(s.charCodeAt(i));
    if (form === ':' && !quoted) continue;
    const name = s.slice(start, i).toLowerCase();
    if (!fragments.some((f) => name.includes(f))) continue;
    let j = form === ':' ? i + 1 : i;
    while (j < s.length && isSpace(s[j]!)) j++;
    if (s[j] !== form) continue;
    j++;
    while (j < s.length && isSpace(s[j]!)) j++;
    if (j < s.length && isQuote(s.charCodeAt(j))) j++;
    let end = j;
    while (end < s.length && !endsValue(s[end]!)) end++;
    if (end === j) continue;
    out += s.slice(copied, j) + mask;
    copied = end;
    i = end;
  }
  return copied === 0 ? s : out + s.slice(copied);
}
