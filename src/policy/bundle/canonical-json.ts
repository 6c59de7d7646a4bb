// Bundle format: OPA's canonical form of a structured bundle file
// (data.json, .manifest), the bytes its signature digests are taken over.
// OPA (bundle/hash.go) decodes the file with json.Number and hashes:
//   object: `{` key `:` value (keys sorted by UTF-8 bytes) `,` ... `}`
//   array:  `[` value `,` ... `]`
//   scalars as Go's encoding/json writes them with SetEscapeHTML(false):
//   numbers as their literal text, strings with Go's escapes.
// JSON.parse loses number literals (1.0, 1e3, big integers), so this is a
// small parser of its own that canonicalizes while it reads.

const MAX_DEPTH = 1000;

export class CanonicalJsonError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const HEX = '0123456789abcdef';

/** A string as Go's json.Encoder writes it with SetEscapeHTML(false). */
export function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) {
      switch (c) {
        case 0x08: out += '\\b'; break;
        case 0x0c: out += '\\f'; break;
        case 0x0a: out += '\\n'; break;
        case 0x0d: out += '\\r'; break;
        case 0x09: out += '\\t'; break;
        default: out += `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
      }
    } else if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x2028) out += '\\u2028';
    else if (c === 0x2029) out += '\\u2029';
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else out += '\ufffd'; // Go decodes a lone surrogate to U+FFFD
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\ufffd';
    else out += s[i]!;
  }
  return `${out}"`;
}

const byUtf8 = (a: [Buffer, string], b: [Buffer, string]): number => Buffer.compare(a[0], b[0]);

class Reader {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new CanonicalJsonError(`${what} at offset ${this.pos}`);
  }

  ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  string(): string {
    STRING.lastIndex = this.pos;
    const m = STRING.exec(this.text);
    if (!m) this.fail('invalid string');
    this.pos += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  value(depth: number): string {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH}`);
    this.ws();
    const t = this.text;
    const c = t[this.pos];
    if (c === '{') {
      this.pos++;
      const members = new Map<string, string>();
      this.ws();
      if (t[this.pos] === '}') {
        this.pos++;
        return '{}';
      }
      for (;;) {
        this.ws();
        if (t[this.pos] !== '"') this.fail('expected an object key');
        const key = this.string();
        this.ws();
        if (t[this.pos] !== ':') this.fail("expected ':'");
        this.pos++;
        members.delete(key); // a repeated key: the last one wins, as in Go's map decoding
        members.set(key, this.value(depth + 1));
        this.ws();
        if (t[this.pos] === ',') {
          this.pos++;
          continue;
        }
        if (t[this.pos] === '}') {
          this.pos++;
          break;
        }
        this.fail("expected ',' or '}'");
      }
      const keys = [...members.keys()].map((k): [Buffer, string] => [Buffer.from(k, 'utf8'), k]).sort(byUtf8);
      return `{${keys.map(([, k]) => `${goJsonString(k)}:${members.get(k)!}`).join(',')}}`;
    }
    if (c === '[') {
      this.pos++;
      const items: string[] = [];
      this.ws();
      if (t[this.pos] === ']') {
        this.pos++;
        return '[]';
      }
      for (;;) {
        items.push(this.value(depth + 1));
        this.ws();
        if (t[this.pos] === ',') {
          this.pos++;
          continue;
        }
        if (t[this.pos] === ']') {
          this.pos++;
          break;
        }
        this.fail("expected ',' or ']'");
      }
      return `[${items.join(',')}]`;
    }
    if (c === '"') return goJsonString(this.string());
    for (const lit of ['true', 'false', 'null']) {
      if (t.startsWith(lit, this.pos)) {
        this.pos += lit.length;
        return lit;
      }
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(t);
    if (!m) this.fail('unexpected character');
    this.pos += m[0].length;
    return m[0];
  }
}

/**
 * The canonical text OPA hashes for a structured bundle file. Throws
 * CanonicalJsonError when the bytes are not one JSON value.
 */
export function opaCanonicalJson(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes);
  const r = new Reader(text);
  const out = r.value(0);
  r.ws();
  if (r.pos !== text.length) r.fail('data after the top-level value');
  return out;
}
