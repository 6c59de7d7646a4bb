export { CircuitBreaker, BREAKER_COMPONENT, HALF_OPEN_BUSY_RETRY_MS, type CircuitBreakerOptions, type Permit } from './circuit-breaker.js';
export { BreakerRegistry, type BreakerRegistryOptions, type BreakerRegistryStatus } from './breaker-registry.js';
export { classifyError } from './classify-error.js';
export { breakerTableInput, parseBreakerTable, BREAKER_TABLE_STAGE, type BreakerServer } from './breaker-table.js';
export { DEFAULT_RULE, DEFAULT_SEVERITY, ERROR_KINDS, SEVERITIES, STATE_GAUGE_VALUE } from './defaults.js';
export {
  systemClock,
  type BreakerRule,
  type BreakerState,
  type BreakerStateChange,
  type BreakerStatus,
  type BreakerTable,
  type BreakerTableEntry,
  type Clock,
  type ErrorKind,
  type Severity,
  type SeverityTable,
} from './types.js';
