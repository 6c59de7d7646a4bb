import type { Logger } from '../../src/log/logger.js';
import type { Clock } from '../../src/breaker/index.js';

/** `security.circuitBreaker` from the guide's example, as written. */
export const GUIDE_CIRCUIT_BREAKER = {
  enabled: true,
  rules: {
    default: {
      failureThreshold: 5,
      resetTimeoutMs: 30000,
      halfOpenMaxCalls: 3,
      errorClassification: { timeout: 'high', connection: 'critical', auth: 'low', validation: 'low' },
    },
    'external-services': { failureThreshold: 3, resetTimeoutMs: 60000, errorClassification: { timeout: 'critical', network: 'high' } },
  },
};

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(private ms = Date.parse('2026-01-01T00:00:00.000Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface LogLine {
  level: string;
  message: string;
  meta: Record<string, unknown>;
}

/** A Logger that records lines, with child() merging its meta under the line's own fields. */
export function captureLogger(lines: LogLine[] = [], base: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, meta: { ...base, ...meta } });
  return {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (meta) => captureLogger(lines, { ...base, ...meta }),
  };
}
