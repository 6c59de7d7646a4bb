// What stage "validation" is (docs/lifecycle.md), apart from its code: the lifecycle table reads it without
// loading the JSON-RPC validator (ajv and the MCP schemas), which the stage itself compiles when it is built.
import type { StageSpec } from '../stage.js';

export const VALIDATION_STAGE: StageSpec = {
  name: 'validation',
  scope: 'http',
  does: 'the body is read once and checked before anything reads it: content type, size, UTF-8, JSON, depth and size limits, JSON-RPC envelope, params of the method (over stdio: each line, the same checks)',
  fails: ['ERR_UNSUPPORTED_MEDIA_TYPE', 'ERR_BODY_TOO_LARGE', 'ERR_PARSE', 'ERR_LIMIT_EXCEEDED', 'ERR_INVALID_REQUEST', 'ERR_MALFORMED_PARAMS'],
};
