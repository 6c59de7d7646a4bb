import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Rotated files are `<file>.1` (newest) ... `<file>.N` (oldest); the tail
 * anchor is `<file>.head`, the start anchor (written once old rotated files
 * are deleted) `<file>.anchor`, and the writer's lock `<file>.lock`.
 */
export const rotatedName = (file: string, n: number): string => `${file}.${n}`;
export const headName = (file: string): string => `${file}.head`;
export const anchorName = (file: string): string => `${file}.anchor`;
export const lockName = (file: string): string => `${file}.lock`;

/** Numbers of the rotated files that exist, ascending (1 = newest). */
export function rotatedNumbers(file: string): number[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const re = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)$`);
  return names
    .map((n) => re.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Every file of the trail, oldest first: file.N ... file.1, file. */
export function trailFiles(file: string): string[] {
  return [...rotatedNumbers(file).reverse().map((n) => rotatedName(file, n)), file];
}
