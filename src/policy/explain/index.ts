export { firedRules, type FiredRule } from './fired-rules.js';
