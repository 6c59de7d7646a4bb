// Real bundles for the lifecycle tests, built once per file by the OPA CLI,
// and a way to wait for what a background component reports.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecurityEvent } from '../../../src/pipeline/security-events.js';
import { fixtureCopy, opaBuild, repack } from '../signatures/helpers.js';

export const SECRET = 'lifecycle-secret';

export interface Bundles {
  r1: Buffer;
  r2: Buffer;
  /** Same Rego as r1, data.json tiers.gold = 200 (a data-only change). */
  r3data: Buffer;
  /** Signed with SECRET (HS256, kid "default"). */
  signedR4: Buffer;
  corrupt: Buffer;
  truncated: Buffer;
  noEntrypoint: Buffer;
  badWasm: Buffer;
  smokeFail: Buffer;
  /** signedR4 with its data.json changed after signing. */
  badSignature: Buffer;
}

export function buildBundles(dir: string): Bundles {
  const out = (n: string): string => join(dir, `${n}.tar.gz`);
  const basic = fixtureCopy('basic', dir);
  const r1 = readFileSync(opaBuild(basic, out('r1'), undefined, 'r1'));
  const r2 = readFileSync(opaBuild(basic, out('r2'), undefined, 'r2'));
  const signedR4 = readFileSync(opaBuild(basic, out('r4'), { alg: 'HS256', key: SECRET }, 'r4'));
  const moreData = fixtureCopy('basic', dir);
  writeFileSync(join(moreData, 'data.json'), '{"tiers": {"gold": 200}}');
  const r3data = readFileSync(opaBuild(moreData, out('r3'), undefined, 'r3'));
  const noEntrypoint = readFileSync(opaBuild(fixtureCopy('no-entrypoint', dir), out('noep'), undefined, 'noep', 'other/decision'));
  const smokeFail = readFileSync(opaBuild(fixtureCopy('smoke-fail', dir), out('smoke'), undefined, 'smoke'));
  const badWasm = readFileSync(
    repack(out('r2'), out('badwasm'), (es) => es.map((e) => (e.path === '/policy.wasm' ? { ...e, body: Buffer.concat([Buffer.from('\0asm\x01\0\0\0'), Buffer.alloc(64, 7)]) } : e))),
  );
  const badSignature = readFileSync(
    repack(out('r4'), out('badsig'), (es) => es.map((e) => (e.path === '/data.json' ? { ...e, body: Buffer.from('{"tiers":{"gold":1}}') } : e))),
  );
  return {
    r1,
    r2,
    r3data,
    signedR4,
    corrupt: Buffer.from('this is not a gzip archive at all'),
    truncated: r2.subarray(0, Math.floor(r2.length / 2)),
    noEntrypoint,
    badWasm,
    smokeFail,
    badSignature,
  };
}

/** An event sink that records, and resolves waiters for the n-th event. */
export function recordingSink(): { sink: (e: SecurityEvent) => Promise<void>; events: SecurityEvent[] } {
  const events: SecurityEvent[] = [];
  return {
    events,
    sink: async (e) => {
      events.push(e);
    },
  };
}

/** A queue of values pushed by a callback, taken in order by the test. */
export class Mailbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((v: T) => void)[] = [];

  push = (v: T): void => {
    const w = this.waiters.shift();
    if (w) w(v);
    else this.items.push(v);
  };

  /** The next value; the test's own timeout bounds the wait. */
  next(): Promise<T> {
    const v = this.items.shift();
    if (v !== undefined) return Promise.resolve(v);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Takes values until one matches. */
  async until(match: (v: T) => boolean): Promise<T> {
    for (;;) {
      const v = await this.next();
      if (match(v)) return v;
    }
  }
}

/** Polls `check` until it returns true (bounded by the test timeout). */
export async function eventually(check: () => boolean | Promise<boolean>, everyMs = 20): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, everyMs));
}
