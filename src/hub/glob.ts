// Name globs for `tools: { include, exclude }`. Only `*` (any run of
// characters, possibly empty) and `?` (exactly one character); everything
// else is literal. Tool names have no path separators, so no `**`.

const cache = new Map<string, RegExp>();

function compile(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let src = '^';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  re = new RegExp(src + '$', 's');
  cache.set(glob, re);
  return re;
}

export function matchesGlob(name: string, glob: string): boolean {
  return compile(glob).test(name);
}

/** `include` (default: everything) minus `exclude`. */
export function passesFilter(name: string, filter: { include?: string[] | undefined; exclude?: string[] | undefined } | undefined): boolean {
  if (!filter) return true;
  if (filter.include && !filter.include.some((g) => matchesGlob(name, g))) return false;
  if (filter.exclude && filter.exclude.some((g) => matchesGlob(name, g))) return false;
  return true;
}
