import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

// A folder of audit chains, one per replica (`cluster.enabled`: each replica
// writes `<folder>/<replicaId>.log`, rotated and anchored next to it as a
// single trail is). The live file of each chain names it; rotated files
// (`.N`), anchors (`.head`, `.anchor`) and locks (`.lock`) belong to it.

const CHAIN_PART = /\.(\d+|head|anchor|lock)$/;

/** The live file of every chain in `folder`, by name. */
export function chainsIn(folder: string): string[] {
  return readdirSync(folder)
    .filter((name) => !CHAIN_PART.test(name) && !name.startsWith('.'))
    .map((name) => path.join(folder, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}

export function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
