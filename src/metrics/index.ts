export { countSecurityEvents } from './count-events.js';
export { collectProcessMetrics, createMetrics, MAX_TOOL_SERIES, type HatagoMetrics } from './create-metrics.js';
export { renderMetrics } from './render-metrics.js';
