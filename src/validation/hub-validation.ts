// What the hub asks of validation after routing: tool arguments against the
// tool's input schema, and upstream answers against the method's result schema.

import type { HubLogger } from '../hub/types.js';
import type { Upstream } from '../upstreams/types.js';
import { ToolArgumentValidator } from './tool-arguments.js';
import { UpstreamResultValidator } from './upstream-results.js';

export interface HubValidation {
  /** Throws ERR_INVALID_ARGUMENTS, or ERR_UPSTREAM_ERROR when the tool's schema cannot be used. */
  checkArguments(server: string, tool: string, args: Record<string, unknown> | undefined): void;
  /** Throws ERR_UPSTREAM_ERROR (data.reason "malformed_response"). */
  checkResult(server: string, method: string, result: unknown): void;
}

/** The schema checks of every upstream in `upstreams`, kept current with their tool lists. */
export function createHubValidation(upstreams: readonly Upstream[], logger?: HubLogger): HubValidation & { close(): void } {
  const args = new ToolArgumentValidator(logger);
  const results = new UpstreamResultValidator();
  const close = args.watch(upstreams);
  return {
    checkArguments: (server, tool, a) => args.check(server, tool, a),
    checkResult: (server, method, result) => results.check(server, method, result),
    close,
  };
}
