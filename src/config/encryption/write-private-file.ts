import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HatagoError } from '../../errors/index.js';

/**
 * Writes `data` to `file` readable by its owner only (mode 0600). Refuses an
 * existing file unless `force`; with `force` it writes a private temp file
 * beside it and renames it over, so the old file's mode is not inherited and
 * no half-written file is ever seen.
 */
export function writePrivateFile(file: string, data: string | Buffer, opts: { force?: boolean } = {}): void {
  if (existsSync(file) && !opts.force) {
    throw new HatagoError('ERR_OUTPUT_EXISTS', { message: `${file} exists: pass --force to overwrite it`, data: { path: file } });
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx' + 0600 at creation: the bytes are never readable by others, even for a moment.
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600); // the umask can only narrow; make it exact
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new HatagoError('ERR_CONFIG_INVALID', { message: `Cannot write ${file} (${code})`, data: { path: file } });
  }
}
