import type { RateLimitConfig, RateLimitRule } from '../config/types.js';
import { HatagoError } from '../errors/index.js';

// The guide's environment variables, and the rules they stand for.
//
// Precedence (same as authentication): an explicit config value wins; a
// variable only fills what the config leaves out. A rule named `global`,
// `per-user` or `tool-calls` in the config keeps its windowMs and max; a
// variable adds the rule when the config has no rule of that name. A config
// that wants the variable to win writes it: "max": "${HATAGO_RATE_LIMIT_MAX}"
// is expanded by the config loader.

interface EnvRule {
  name: string;
  keyGenerator: RateLimitRule['keyGenerator'];
  filter?: string;
  window?: string;
  max?: string;
  defaultWindowMs: number;
  defaultMax: number;
}

const ENV_RULES: readonly EnvRule[] = [
  { name: 'global', keyGenerator: 'ip', window: 'HATAGO_RATE_LIMIT_WINDOW', max: 'HATAGO_RATE_LIMIT_MAX', defaultWindowMs: 60000, defaultMax: 1000 },
  { name: 'per-user', keyGenerator: 'user', window: 'HATAGO_RATE_LIMIT_USER_WINDOW', max: 'HATAGO_RATE_LIMIT_USER_MAX', defaultWindowMs: 60000, defaultMax: 100 },
  // No variable for its window: the guide has none; it is the per-user window.
  { name: 'tool-calls', keyGenerator: 'user', filter: 'mcp:tools:call', window: 'HATAGO_RATE_LIMIT_USER_WINDOW', max: 'HATAGO_RATE_LIMIT_TOOLS_MAX', defaultWindowMs: 60000, defaultMax: 50 },
];

export const RATE_LIMIT_ENV_VARS = [
  'HATAGO_RATE_LIMIT_WINDOW',
  'HATAGO_RATE_LIMIT_MAX',
  'HATAGO_RATE_LIMIT_USER_WINDOW',
  'HATAGO_RATE_LIMIT_USER_MAX',
  'HATAGO_RATE_LIMIT_TOOLS_MAX',
] as const;

/**
 * security.rateLimit with the environment applied. A rule is added for a
 * variable group only when its own variable is set (HATAGO_RATE_LIMIT_MAX or
 * _WINDOW for `global`, _USER_MAX or _USER_WINDOW for `per-user`, _TOOLS_MAX
 * for `tool-calls`); a missing half takes the guide's default. Throws
 * ERR_CONFIG_INVALID for a value that is not a whole number (windows > 0,
 * max >= 0). Does not change its argument.
 */
export function rateLimitConfigFromEnv(config: RateLimitConfig | undefined, env: Record<string, string | undefined> = process.env): RateLimitConfig {
  const out: RateLimitConfig = { ...config, rules: [...(config?.rules ?? [])] };
  const rules = out.rules!;
  for (const spec of ENV_RULES) {
    const trigger = spec.name === 'tool-calls' ? [spec.max!] : [spec.window!, spec.max!];
    if (!trigger.some((v) => set(env[v]))) continue;
    // Parsed (and checked) even when the config's own rule wins.
    const windowMs = number(env, spec.window!, 1) ?? spec.defaultWindowMs;
    const max = number(env, spec.max!, 0) ?? spec.defaultMax;
    if (rules.some((r) => r.name === spec.name)) continue;
    const rule: RateLimitRule = { name: spec.name, windowMs, max, keyGenerator: spec.keyGenerator };
    if (spec.filter) rule.filter = spec.filter;
    rules.push(rule);
  }
  return out;
}

function set(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== '';
}

function number(env: Record<string, string | undefined>, name: string, min: number): number | undefined {
  const raw = env[name];
  if (!set(raw)) return undefined;
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new HatagoError('ERR_CONFIG_INVALID', {
      message: `Config is invalid: ${name} must be a whole number${min > 0 ? ' above 0' : ''}`,
      detail: `${name}=${JSON.stringify(raw)}`,
      data: { variable: name },
    });
  }
  return n;
}
