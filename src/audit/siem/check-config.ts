import { X509Certificate } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AuditTrailConfig } from '../../config/types.js';
import { HatagoError } from '../../errors/index.js';

// What the schema cannot say about security.audit.siem: settings the hub
// could not honour once running. `hatago serve` and `hatago config validate`
// both stop on them with one line naming the key (ERR_CONFIG_INVALID).

export const DEFAULT_SPOOL_DIR = path.join('logs', 'audit-spool');

export interface CheckedSiem {
  /** The syslog CA bundle, read. */
  ca?: string;
  url?: URL;
  /** The spool folder, absolute. */
  spoolDir: string;
}

const refuse = (key: string, why: string) => new HatagoError('ERR_CONFIG_INVALID', { message: `security.audit.siem${key}: ${why}` });

/** Null without `siem`; throws the refusal for the first setting that cannot be honoured. Creates nothing. */
export function checkSiemConfig(audit: AuditTrailConfig, cwd: string): CheckedSiem | null {
  const siem = audit.siem;
  if (siem === undefined) return null;
  if (audit.enabled === false) throw refuse('', 'ships the file trail, which security.audit.enabled: false turns off');
  if (!siem.syslog && !siem.http) throw refuse('', 'names no destination: set syslog, http or both');
  const out: CheckedSiem = { spoolDir: path.resolve(cwd, siem.spool?.dir ?? DEFAULT_SPOOL_DIR) };
  if (siem.syslog?.tls?.ca !== undefined) {
    const file = path.resolve(cwd, siem.syslog.tls.ca);
    try {
      out.ca = readFileSync(file, 'utf8');
    } catch (err) {
      throw refuse('.syslog.tls.ca', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const problem = caProblem(out.ca);
    if (problem) throw refuse('.syslog.tls.ca', `${file} ${problem}`);
  }
  if (siem.http) {
    try {
      out.url = new URL(siem.http.url);
    } catch {
      throw refuse('.http.url', `${JSON.stringify(siem.http.url)} is not a URL`);
    }
    if (out.url.protocol !== 'http:' && out.url.protocol !== 'https:') throw refuse('.http.url', `must be an http:// or https:// URL, not ${out.url.protocol}`);
  }
  const problem = folderProblem(out.spoolDir);
  if (problem) throw refuse('.spool.dir', problem);
  return out;
}

/** Why a CA bundle cannot be used: no PEM certificate in it, or one that does not parse. */
function caProblem(pem: string): string | null {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return 'holds no PEM certificate';
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch (err) {
      return `holds a certificate that does not parse (${(err as Error).message})`;
    }
  }
  return null;
}

/** Whether `dir` is, or can be created as, a folder this process writes: the nearest existing path decides. */
function folderProblem(dir: string): string | null {
  for (let p = dir; ; p = path.dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && path.dirname(p) !== p) continue;
      return `${dir} cannot be created (${(err as NodeJS.ErrnoException).code ?? 'error'} at ${p})`;
    }
    if (!isDir) return `${dir} cannot be created (${p} is not a folder)`;
    try {
      accessSync(p, constants.W_OK | constants.X_OK);
      return null;
    } catch (err) {
      return `${dir} cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'} at ${p})`;
    }
  }
}
