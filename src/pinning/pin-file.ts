// The pin store as a JSON file: read whole, written whole (temporary file,
// then rename, so a reader never sees half a file). The hub and the
// `hatago tools` CLI both write it; each re-reads right before it writes,
// so they only lose an update when both write within the same moment.

import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PinnedKind } from './definition.js';

export const PIN_FILE_VERSION = 1;
export const DEFAULT_PIN_FILE = path.join('data', 'pins.json');
export const DEFAULT_MAX_ENTRIES = 10_000;
/** Audit events the CLI leaves for the hub to record (the hub owns the audit trail). */
export const MAX_JOURNAL = 1_000;

export interface PendingChange {
  digest: string;
  definition: Record<string, unknown>;
  seen_at: string;
}

export interface PinRecord {
  server: string;
  kind: PinnedKind;
  /** Upstream-local name (URI template for resource templates). */
  name: string;
  digest: string;
  definition: Record<string, unknown>;
  /** false: recorded on first sight (trust on first use); true: an operator approved this digest. */
  approved: boolean;
  first_seen: string;
  approved_at?: string;
  approved_by?: string;
  /** The definition the upstream offers now, when it differs from the pin. */
  pending?: PendingChange;
}

export interface JournalEntry {
  event: 'definition_approved' | 'definition_revoked';
  server: string;
  kind: PinnedKind;
  name: string;
  pinned_digest: string | null;
  digest: string | null;
  by: string;
  at: string;
}

export interface PinFileData {
  version: number;
  pins: PinRecord[];
  journal: JournalEntry[];
}

export const pinKey = (server: string, kind: string, name: string): string => `${server}\u0000${kind}\u0000${name}`;

export function emptyPins(): PinFileData {
  return { version: PIN_FILE_VERSION, pins: [], journal: [] };
}

export class PinFileError extends Error {}

/** What identifies one version of the file on disk (a rename gives a new inode). */
export function fileStamp(file: string): string | null {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function readPinFile(file: string): PinFileData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyPins();
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PinFileError(`pin store ${file} is not JSON: ${(err as Error).message}`);
  }
  const p = parsed as Partial<PinFileData>;
  if (typeof p !== 'object' || p === null || p.version !== PIN_FILE_VERSION || !Array.isArray(p.pins)) {
    throw new PinFileError(`pin store ${file} is not a version ${PIN_FILE_VERSION} pin file`);
  }
  return { version: PIN_FILE_VERSION, pins: p.pins, journal: Array.isArray(p.journal) ? p.journal : [] };
}

export function writePinFile(file: string, data: PinFileData): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Re-reads, applies `change`, writes; returns what `change` returned. */
export function updatePinFile<T>(file: string, change: (data: PinFileData) => T): T {
  const data = readPinFile(file);
  const out = change(data);
  if (data.journal.length > MAX_JOURNAL) data.journal.splice(0, data.journal.length - MAX_JOURNAL);
  writePinFile(file, data);
  return out;
}
