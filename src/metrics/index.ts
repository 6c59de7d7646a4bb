export { countSecurityEvents } from './count-events.js';
export { createMetrics, type HatagoMetrics } from './create-metrics.js';
export { renderMetrics } from './render-metrics.js';
