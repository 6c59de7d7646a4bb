// The guide's three default `customSanitizer.patterns`, as hand-written scans
// with exactly the matches the regexes have under JavaScript semantics. RE2
// would run them in linear time too, but reporting match positions makes its
// matcher ~50x slower than a scan, and these three are hit by any long run of
// letters and digits: the common case, and the attacker's.

const isWord = (s: string, i: number): boolean => {
  if (i < 0 || i >= s.length) return false;
  const c = s.charCodeAt(i);
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
};
const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isBase64 = (c: number): boolean => isAlnum(c) || c === 43 || c === 47; // + /
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const boundary = (s: string, i: number): boolean => isWord(s, i - 1) !== isWord(s, i);

/** A match as [start, end). */
export type Span = [number, number];

/**
 * `\b[A-Za-z0-9+/]{40,}={0,2}\b`. In a maximal run of base64 characters only
 * the first position with a word boundary can start a match (any later start
 * leaves less room), and it ends at the run's end (with the padding that
 * still meets a boundary) or else at the run's last inner boundary: one pass.
 */
export function base64Spans(s: string): Span[] {
  const out: Span[] = [];
  let i = 0;
  while (i < s.length) {
    if (!isBase64(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let q = i;
    let start = -1;
    let lastInner = -1;
    while (q < s.length && isBase64(s.charCodeAt(q))) {
      if (boundary(s, q)) {
        if (start < 0) start = q;
        else lastInner = q;
      }
      q++;
    }
    i = q;
    if (start < 0 || (q - start < 40 && lastInner - start < 40)) continue;
    let eq = 0;
    while (eq < 2 && s[q + eq] === '=') eq++;
    let end = -1;
    for (let k = eq; k >= 0 && end < 0; k--) if (boundary(s, q + k)) end = q + k;
    if (end >= 0 && q - start >= 40) out.push([start, end]);
    else if (lastInner - start >= 40) out.push([start, lastInner]);
  }
  return out;
}

/** `\bsk-[A-Za-z0-9]{32,}\b`. */
export function skKeySpans(s: string): Span[] {
  const out: Span[] = [];
  let from = 0;
  for (let p = s.indexOf('sk-', from); p >= 0; p = s.indexOf('sk-', from)) {
    let q = p + 3;
    while (q < s.length && isAlnum(s.charCodeAt(q))) q++;
    // Inside an alphanumeric run there is no boundary, so only the run's end can close the match.
    if (!isWord(s, p - 1) && q - (p + 3) >= 32 && !isWord(s, q)) out.push([p, q]);
    // The next `sk-` cannot have its `-` inside the run, so it starts at q-2 at the earliest.
    from = Math.max(q - 2, p + 1);
  }
  return out;
}

/** `\b\d{4}-\d{4}-\d{4}-\d{4}\b`. */
export function cardSpans(s: string): Span[] {
  const out: Span[] = [];
  const shape = (at: number): boolean => {
    for (let k = 0; k < 19; k++) {
      const c = s.charCodeAt(at + k);
      if (k % 5 === 4 ? c !== 45 : !isDigit(c)) return false;
    }
    return true;
  };
  for (let i = 0; i + 19 <= s.length; i++) {
    if (isDigit(s.charCodeAt(i)) && !isWord(s, i - 1) && shape(i) && !isWord(s, i + 19)) {
      out.push([i, i + 19]);
      i += 18;
    }
  }
  return out;
}

/** Rebuilds `s` with each span replaced by what `replace` returns for it. */
export function replaceSpans(s: string, spans: readonly Span[], replace: (match: string, offset: number) => string): string {
  if (spans.length === 0) return s;
  let out = '';
  let at = 0;
  for (const [a, b] of spans) {
    out += s.slice(at, a) + replace(s.slice(a, b), a);
    at = b;
  }
  return out + s.slice(at);
}
