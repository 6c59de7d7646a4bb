// Signed bundles built by the real OPA CLI, and ways to alter them.
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { runOpa } from '../../../scripts/lib/opa.mjs';
import { fixtures, makeTarGz } from '../helpers.js';

export interface SignOptions {
  /** --signing-alg (default RS256, as OPA). */
  alg?: string;
  /** A secret (HS*) or the path of a PEM private key. */
  key: string;
  /** Written to a claims file: scope, keyid, iss... */
  claims?: Record<string, unknown>;
  revision?: string;
}

/** Builds `src` with `opa build -t wasm --bundle` into out, signed when `sign` is given. */
export function opaBuild(src: string, out: string, sign?: SignOptions, revision = 'r1', entrypoint = 'hatago/decision'): string {
  const args = ['build', '-t', 'wasm', '-e', entrypoint, '--revision', sign?.revision ?? revision, '-o', out, '--bundle'];
  if (sign) {
    args.push('--signing-key', sign.key, '--signing-alg', sign.alg ?? 'RS256');
    if (sign.claims) {
      const claimsFile = `${out}.claims.json`;
      writeFileSync(claimsFile, JSON.stringify(sign.claims));
      args.push('--claims-file', claimsFile);
    }
  }
  args.push('.');
  const r = runOpa(args, { cwd: src });
  if (r.status !== 0) throw new Error(`opa build failed: ${r.stderr}${r.stdout}`);
  return out;
}

/** A copy of test/fixtures/policies/<name> that a test may change. */
export function fixtureCopy(name: string, into: string): string {
  const dest = join(into, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(join(fixtures, name), dest, { recursive: true });
  return dest;
}

export interface KeyPairFiles {
  privatePath: string;
  publicPem: string;
}

/** A key pair written as PEM: rsa (2048), rsa for PS*, or ec on a named curve. */
export function keyPair(dir: string, name: string, kind: 'rsa' | { curve: 'P-256' | 'P-384' | 'P-521' }): KeyPairFiles {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: kind.curve });
  const privatePath = join(dir, `${name}.key.pem`);
  writeFileSync(privatePath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  return { privatePath, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** The archive's files in order, names as OPA writes them (leading '/'). */
export function tarEntries(file: string): { path: string; body: Buffer }[] {
  const entries: { path: string; body: Buffer }[] = [];
  const parser = new Parser({ strict: true });
  parser.on('entry', (entry: ReadEntry) => {
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () => entries.push({ path: entry.path, body: Buffer.concat(chunks) }));
  });
  parser.end(gunzipSync(readFileSync(file)));
  return entries;
}

/** Rewrites the archive through `edit` (change, add or drop entries) into a new .tar.gz. */
export function repack(file: string, out: string, edit: (entries: { path: string; body: Buffer }[]) => { path: string; body: Buffer }[]): string {
  writeFileSync(out, makeTarGz(edit(tarEntries(file))));
  return out;
}
