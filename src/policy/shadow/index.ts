export { ShadowPolicy, SHADOW_MISMATCH_METRIC, type ShadowPolicyOptions, type ShadowStatus } from './shadow-policy.js';
export { differingFields, summarize, type ComparableDecision, type DecisionField } from './compare.js';
