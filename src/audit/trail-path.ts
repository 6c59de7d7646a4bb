import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_KEY_ENV, openConfigText } from '../config/encryption/index.js';
import { expandEnv } from '../config/expand-env.js';
import { CONFIG_FILE_NAME } from '../config/load-config.js';
import { HatagoError } from '../errors/index.js';
import { replicaAuditFile } from '../config/cluster.js';
import { auditFilePath } from './audit-sink.js';

// Where the trail is, for the people who read it. An auditor needs the
// trail's path, not the hub's secrets: only `security.audit.file` is read
// from the config (and only its own ${VAR}s expanded), so a config whose
// signing secret comes from ${HATAGO_AUTH_SECRET} is readable without it.

/**
 * The parsed config file a CLI reader looks at (`--config F`, else
 * ./hatago.config.json), decrypted when it is encrypted, with nothing
 * expanded: callers expand only the values they read. Undefined when there
 * is no file (the embedded default applies).
 */
export function configFileFor(configPath: string | undefined, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { file: string; parsed: unknown } | undefined {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  let file: string | undefined;
  if (configPath !== undefined) {
    file = path.resolve(cwd, configPath);
    if (!existsSync(file)) throw new HatagoError('ERR_CONFIG_NOT_FOUND', { message: `Config file not found: ${file}`, data: { path: file } });
  } else if (existsSync(path.join(cwd, CONFIG_FILE_NAME))) {
    file = path.join(cwd, CONFIG_FILE_NAME);
  }
  if (file === undefined) return undefined;
  const key = env[CONFIG_KEY_ENV];
  return { file, parsed: openConfigText(readFileSync(file, 'utf8'), file, key !== undefined ? { fromEnv: key } : {}) };
}

/**
 * `--config F`, else ./hatago.config.json, else the default: the audit file
 * the hub started from the same working folder would write, or with
 * `cluster.enabled` the folder of the replicas' chains.
 */
export function auditFileFromConfig(configPath: string | undefined, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const found = configFileFor(configPath, { cwd, env });
  if (found === undefined) return auditFilePath({ security: {} }, cwd);
  const parsed = found.parsed as { security?: { audit?: { file?: unknown } }; cluster?: { enabled?: unknown } } | null;
  const value = parsed?.security?.audit?.file;
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new HatagoError('ERR_CONFIG_INVALID', { message: `${found.file}: security.audit.file must be a non-empty string`, data: { path: found.file } });
  }
  const file = value === undefined ? auditFilePath({ security: {} }, cwd) : auditFilePath({ security: { audit: { file: expandEnv(value, env, '/security/audit/file') } } }, cwd);
  // Replicas (cluster.enabled) write one chain each into a folder: the reader gets the folder.
  return parsed?.cluster?.enabled === true ? path.dirname(replicaAuditFile(file, 'replica')) : file;
}
