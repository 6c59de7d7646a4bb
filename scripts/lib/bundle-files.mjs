// Reads a bundle .tar.gz into { name -> Buffer } for comparisons in scripts.
// (The runtime's hardened reader is src/policy/bundle/read-bundle.ts; scripts
// must work before `tsc` has run, so they do not import it.)
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Parser } from 'tar';

export function readBundleFiles(file) {
  const tarBytes = gunzipSync(readFileSync(file));
  const files = new Map();
  const parser = new Parser({ strict: true });
  let failure;
  parser.on('error', (err) => (failure ??= err));
  parser.on('entry', (entry) => {
    const chunks = [];
    entry.on('data', (c) => chunks.push(c));
    entry.on('end', () => files.set(entry.path.replace(/^\/+/, ''), Buffer.concat(chunks)));
  });
  parser.end(tarBytes); // tar's Parser is synchronous when handed the whole buffer
  if (failure) throw failure;
  return files;
}
