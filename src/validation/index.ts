export { ValidationManager, ruleToSchema, type ValidationIssue, type ValidationResult } from './validation-manager.js';
export { MessageValidator, type MessageKind } from './message-validator.js';
export { ToolArgumentValidator } from './tool-arguments.js';
export { UpstreamResultValidator } from './upstream-results.js';
export { DEFAULT_LIMITS, checkStructure, exceedsDepth, type StructureLimits } from './limits.js';
export { decodeJson } from './decode-json.js';
export { argumentsSize } from './arguments-size.js';
export { createHubValidation, type HubValidation } from './hub-validation.js';
export { limitsFromConfig } from './limits-from-config.js';
