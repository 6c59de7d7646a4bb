#!/usr/bin/env node
// Masking cost per input size for the penetration test's worst cases, all
// measured in this one run: the sanitizer as shipped (strings cut at
// maxStringLength, default 4096), the same with no cap (so the engine itself
// is timed on the whole input), and the regexes used before (JavaScript's
// backtracking engine, quadratic on these inputs; at 1, 4 and 16 KB only,
// as 1 MB would take hours). Times are CPU ms of this process per call (best
// sample). Needs `npx tsc -p tsconfig.json`.
//
//   node bench/sanitizer.mjs [--min-ms 500]
import { parseArgs } from 'node:util';
import { createSanitizer } from '../dist/log/sanitizer.js';

const { values: opts } = parseArgs({
  options: { 'min-ms': { type: 'string', default: '500' } },
});
const MIN_MS = Number(opts['min-ms']);

const SIZES = [1024, 100 * 1024, 1024 * 1024];
const OLD_SIZES = [1024, 4 * 1024, 16 * 1024];
const INPUTS = {
  'a=aaaa…': (n) => `a=${'a'.repeat(n - 2)}`,
  'base64 run + "+"': (n) => `${'Q'.repeat(n - 1)}+`,
  'user agent': (n) => {
    const head = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ';
    return head + 'A'.repeat(n - head.length);
  },
};

// The text masking this change replaced (src/log/sanitizer.ts before), with the default fields and patterns.
const FIELDS = ['password', 'token', 'secret', 'key', 'auth', 'jwt', 'bearer', 'authorization', 'cookie'];
const ALT = FIELDS.join('|');
const OLD = [
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[REDACTED]'],
  [/\b([Bb]earer|BEARER|Basic)\s+[^\s"',;]+/g, '$1 [REDACTED]'],
  [new RegExp(`([\\w.-]*(?:${ALT})[\\w.-]*\\s*=\\s*["']?)([^\\s"'&,;}]+)`, 'gi'), '$1[REDACTED]'],
  [new RegExp(`(["'][\\w.-]*(?:${ALT})[\\w.-]*["']\\s*:\\s*["']?)([^\\s"'&,;}]+)`, 'gi'), '$1[REDACTED]'],
  [/\b[A-Za-z0-9+/]{40,}={0,2}\b/g, '[REDACTED]'],
  [/\bsk-[A-Za-z0-9]{32,}\b/g, '[REDACTED]'],
  [/\b\d{4}-\d{4}-\d{4}-\d{4}\b/g, '[REDACTED]'],
];
const oldText = (s) => OLD.reduce((out, [re, to]) => out.replace(re, to), s);

const capped = createSanitizer();
const uncapped = createSanitizer({ maxStringLength: Number.MAX_SAFE_INTEGER });

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Best CPU ms per call, over samples of `batch` calls (at least 1 ms each) for
 * at least `runs` samples and MIN_MS. CPU time of this process, not wall time:
 * the machine is shared, and a long call is more likely to be preempted than a
 * short one, which would make wall time look worse than linear.
 */
function time(fn, s, runs = 5) {
  const t0 = cpuMs();
  fn(s); // warm up
  const once = Math.max(cpuMs() - t0, 0.001);
  const batch = Math.max(1, Math.ceil(1 / once));
  let best = Infinity;
  const until = cpuMs() + MIN_MS;
  for (let i = 0; i < runs || cpuMs() < until; i++) {
    const c0 = cpuMs();
    for (let k = 0; k < batch; k++) fn(s);
    best = Math.min(best, (cpuMs() - c0) / batch);
  }
  return best;
}

const pad = (v, w) => String(v).padStart(w);
const fmt = (ms) => (ms < 10 ? ms.toFixed(3) : ms.toFixed(1));
const sizeName = (n) => (n >= 1024 * 1024 ? `${n / 1024 / 1024} MB` : `${n / 1024} KB`);

// Linear time: "time x" follows "size x" (x100, then x10.24) and µs/KB stays in one range; quadratic: time x = size x squared.
console.log('Shipped sanitizer (createSanitizer defaults), CPU ms per call: "cut" = with the 4096 cap, "whole" = no cap, the engine on all of it');
console.log(`${'input'.padEnd(18)} ${pad('size', 8)} ${pad('cut ms', 8)} ${pad('whole ms', 10)} ${pad('whole µs/KB', 12)} ${pad('size x', 7)} ${pad('time x', 7)}`);
for (const [name, make] of Object.entries(INPUTS)) {
  let prev = null;
  for (const n of SIZES) {
    const s = make(n);
    const cut = time(capped.text, s);
    const whole = time(uncapped.text, s);
    const growth = prev ? [pad(`${(n / prev.n).toFixed(1)}`, 7), pad(`${(whole / prev.ms).toFixed(1)}`, 7)] : [pad('-', 7), pad('-', 7)];
    console.log(`${name.padEnd(18)} ${pad(sizeName(n), 8)} ${pad(fmt(cut), 8)} ${pad(fmt(whole), 10)} ${pad(((whole * 1000) / (n / 1024)).toFixed(1), 12)} ${growth.join(' ')}`);
    prev = { n, ms: whole };
  }
}

// The regexes before this change on the same inputs, at sizes the backtracking engine survives.
console.log(`\nBefore (JavaScript regexes of the old sanitizer), sizes ${OLD_SIZES.map(sizeName).join(', ')}`);
console.log(`${'input'.padEnd(18)} ${pad('size', 8)} ${pad('ms', 10)} ${pad('µs/KB', 12)} ${pad('size x', 7)} ${pad('time x', 7)}`);
for (const [name, make] of Object.entries(INPUTS)) {
  let prev = null;
  for (const n of OLD_SIZES) {
    const ms = time(oldText, make(n), 1);
    const growth = prev ? [pad(`${(n / prev.n).toFixed(1)}`, 7), pad(`${(ms / prev.ms).toFixed(1)}`, 7)] : [pad('-', 7), pad('-', 7)];
    console.log(`${name.padEnd(18)} ${pad(sizeName(n), 8)} ${pad(fmt(ms), 10)} ${pad(((ms * 1000) / (n / 1024)).toFixed(1), 12)} ${growth.join(' ')}`);
    prev = { n, ms };
  }
}
