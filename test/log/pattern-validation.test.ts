// customSanitizer.patterns run under RE2 (linear time); a pattern RE2 cannot
// run is refused at start-up with one line naming its key path and why.
import { describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { validateConfig } from '../../src/config/validate-config.js';
import { HatagoError } from '../../src/errors/index.js';
import { sanitizerFromConfig } from '../../src/log/from-config.js';
import { runHatago, writeConfig } from '../helpers/hub-process.js';

const withPatterns = (patterns: string[]) => ({ mcpServers: {}, security: { logging: { customSanitizer: { patterns } } } });

function refusal(config: unknown): HatagoError {
  try {
    validateConfig(config, 'hatago.config.json');
  } catch (err) {
    return err as HatagoError;
  }
  throw new Error('the config was accepted');
}

describe('config validation of security.logging.customSanitizer.patterns', () => {
  it('refuses a backreference, naming the key path', () => {
    const err = refusal(withPatterns(['\\bsk-[A-Za-z0-9]{32,}\\b', '(["\'])\\w+\\1']));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toBe(
      'Invalid config hatago.config.json:\n  security.logging.customSanitizer.patterns[1]: "([\\"\'])\\\\w+\\\\1" uses a backreference (\\1), which the linear-time engine (RE2) cannot run',
    );
  });

  it('refuses lookahead and lookbehind, one line each', () => {
    const err = refusal(withPatterns(['secret(?=:)', '(?<!x)key', '(?<name>ok)']));
    expect(err.message).toBe(
      'Invalid config hatago.config.json:\n' +
        '  security.logging.customSanitizer.patterns[0]: "secret(?=:)" uses a lookahead ((?=…), which the linear-time engine (RE2) cannot run\n' +
        '  security.logging.customSanitizer.patterns[1]: "(?<!x)key" uses a lookbehind ((?<!…), which the linear-time engine (RE2) cannot run',
    );
  });

  it('refuses what RE2 cannot parse, with its reason', () => {
    const err = refusal(withPatterns(['(unclosed']));
    expect(err.message).toBe(
      'Invalid config hatago.config.json:\n  security.logging.customSanitizer.patterns[0]: "(unclosed" is not a pattern the linear-time engine (RE2 syntax) accepts: missing closing ): `(unclosed`',
    );
  });

  it('accepts the guide\'s patterns, an escaped backslash before a digit, lookahead text that is literal, and named groups', () => {
    expect(() => validateConfig(withPatterns(['\\b[A-Za-z0-9+/]{40,}={0,2}\\b', '\\\\1', '[(?=]x', '\\(?=', '(?P<id>ACME-\\d{6})']), 'hatago.config.json')).not.toThrow();
  });

  it('the sanitizer built from a config refuses the same patterns (for embedders that skip loadConfig)', () => {
    expect(() => sanitizerFromConfig({ mcpServers: {}, security: { logging: { customSanitizer: { patterns: ['(a)\\1'] } } } })).toThrow(
      'security.logging.customSanitizer.patterns[0]: "(a)\\\\1" uses a backreference (\\1), which the linear-time engine (RE2) cannot run',
    );
  });

  it('hatago serve does not start with such a pattern: one line, exit 1', async () => {
    const { dir, file } = writeConfig(withPatterns(['(a)\\1']));
    try {
      const { code, output } = await runHatago(['serve', '--config', file], { cwd: dir });
      expect(code).toBe(1);
      expect(output).toContain('security.logging.customSanitizer.patterns[0]: "(a)\\\\1" uses a backreference (\\1), which the linear-time engine (RE2) cannot run');
      expect(output).toContain('[ERR_CONFIG_INVALID]');
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
