// `policies.decisionLog.service`: its defaults, and the combinations the
// schema cannot refuse (checked at start-up by validateConfig, one line per
// problem, naming the key).
import type { DecisionLogServiceConfig } from './types.js';

export const DECISION_LOG_SERVICE_KEY = 'policies.decisionLog.service';

export const DECISION_LOG_SERVICE_DEFAULTS = {
  resource: '/logs',
  batchMaxRecords: 100,
  batchMaxBytes: 1024 * 1024,
  flushIntervalMs: 5000,
  maxBufferRecords: 10_000,
  maxBufferBytes: 16 * 1024 * 1024,
  timeoutMs: 10_000,
  retryMinDelayMs: 500,
  retryMaxDelayMs: 60_000,
  closeTimeoutMs: 5000,
} as const;

export type DecisionLogServiceSettings = Required<Omit<DecisionLogServiceConfig, 'caFile' | 'headers' | 'labels'>> &
  Pick<DecisionLogServiceConfig, 'caFile'> & { headers: Record<string, string>; labels: Record<string, string>; endpoint: URL };

/** The URL records are POSTed to: `url` + `resource`, one slash between them. */
export function serviceEndpoint(url: string, resource: string): URL {
  const base = new URL(url);
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/${resource.replace(/^\/+/, '')}`;
  return base;
}

export function decisionLogServiceSettings(c: DecisionLogServiceConfig): DecisionLogServiceSettings {
  const s = { ...DECISION_LOG_SERVICE_DEFAULTS, ...c, headers: c.headers ?? {}, labels: c.labels ?? {} };
  return { ...s, endpoint: serviceEndpoint(s.url, s.resource) };
}

/** What cannot be honoured together; empty when the section is absent or fine. */
export function decisionLogServiceProblems(config: unknown): string[] {
  const c = (config as { policies?: { decisionLog?: { service?: DecisionLogServiceConfig } } } | null)?.policies?.decisionLog?.service;
  if (c === undefined) return [];
  const k = DECISION_LOG_SERVICE_KEY;
  let url: URL;
  try {
    url = new URL(c.url);
  } catch {
    return [`${k}.url: ${JSON.stringify(c.url)} is not a URL`];
  }
  const s = decisionLogServiceSettings(c);
  const lines: string[] = [];
  if (url.protocol !== 'https:' && c.caFile !== undefined) lines.push(`${k}.caFile: set, but url is not https (${url.protocol}//${url.host}); a CA file only applies to https`);
  if (s.batchMaxBytes > s.maxBufferBytes) lines.push(`${k}.batchMaxBytes (${s.batchMaxBytes}) must not exceed ${k}.maxBufferBytes (${s.maxBufferBytes})`);
  if (s.batchMaxRecords > s.maxBufferRecords) lines.push(`${k}.batchMaxRecords (${s.batchMaxRecords}) must not exceed ${k}.maxBufferRecords (${s.maxBufferRecords})`);
  if (s.retryMinDelayMs > s.retryMaxDelayMs) lines.push(`${k}.retryMinDelayMs (${s.retryMinDelayMs}) must not exceed ${k}.retryMaxDelayMs (${s.retryMaxDelayMs})`);
  return lines;
}
