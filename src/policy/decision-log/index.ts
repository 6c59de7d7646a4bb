export { DecisionLog, DEFAULT_DECISION_LOG_FILE, type DecisionLogOptions, type DecisionLogStatus } from './decision-log.js';
export { maskDecisionInput, withMaskedClaims, type Sanitizer } from './mask.js';
export { decisionInputOf, INPUT_FORMATS, readReplayLine, type DecisionRecord, type ReplayEntry } from './record.js';
