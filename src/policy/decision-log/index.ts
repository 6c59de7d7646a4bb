export { DecisionLog, DEFAULT_DECISION_LOG_FILE, type DecisionLogOptions, type DecisionLogStatus } from './decision-log.js';
export { maskDecisionInput, withMaskedClaims, type Sanitizer } from './mask.js';
export { decisionInputOf, INPUT_FORMATS, readReplayLine, type DecisionRecord, type ReplayEntry } from './record.js';
export { DecisionShipper, displayUrl, retryDelay, type DecisionShipperLimits, type DecisionShipperOptions, type DecisionShipperStatus } from './decision-shipper.js';
export { DropReporter, type DropCounts, type DropReason } from './drop-reporter.js';
export { toOpaEvent, BUNDLE_NAME, type OpaDecisionEvent } from './opa-event.js';
export { uploadBatch, type UploadTarget, type UploadResult } from './upload.js';
