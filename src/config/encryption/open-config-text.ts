import { HatagoError } from '../../errors/index.js';
import { decryptConfig } from './decrypt.js';
import { looksEncrypted } from './envelope.js';

/** Environment variable holding the config key, so it need not be on the command line (visible in `ps`). */
export const CONFIG_KEY_ENV = 'HATAGO_CONFIG_KEY';

export interface OpenConfigKey {
  /** `--decrypt-key`: given on purpose, so a plain config with it is an operator mistake. */
  explicit?: string;
  /** HATAGO_CONFIG_KEY: may be set for a whole deployment; ignored for a plain config. */
  fromEnv?: string;
}

/**
 * Parses config text as JSON; when it is an encrypted-config envelope,
 * decrypts it in memory (never to disk) and parses the plaintext. The
 * returned value is the plain config, not yet expanded or validated.
 * `sensitive` keeps parser detail (which quotes the text) out of errors.
 */
export function openConfigText(text: string, source: string, key: OpenConfigKey = {}, opts: { sensitive?: boolean } = {}): unknown {
  // Text from HATAGO_CONFIG is never on disk in the clear: keep V8's quoted snippet out of errors.
  const parsed = parseJson(text, source, opts.sensitive !== true);
  if (!looksEncrypted(parsed)) {
    if (key.explicit !== undefined) {
      throw new HatagoError('ERR_CONFIG_DECRYPT', { message: `--decrypt-key was given, but ${source} is not an encrypted config`, data: { path: source } });
    }
    return parsed;
  }
  const k = present(key.explicit) ?? present(key.fromEnv);
  if (k === undefined) {
    throw new HatagoError('ERR_CONFIG_KEY_MISSING', {
      message: `Config ${source} is encrypted: pass --decrypt-key or set ${CONFIG_KEY_ENV}`,
      data: { path: source },
    });
  }
  // No parser detail for decrypted text: V8 quotes a snippet of it, which may hold secrets.
  return parseJson(decryptConfig(parsed, k, source).toString('utf8'), `${source} (decrypted)`, false);
}

function parseJson(text: string, source: string, detail = true): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const why = detail ? ` (${(err as Error).message})` : '';
    throw new HatagoError('ERR_CONFIG_INVALID', { message: `Invalid config ${source}: not valid JSON${why}` });
  }
}

function present(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
