// Stage "network": the policy decides on the client address and Origin
// (stage "network" of the policy contract) before anything else: no body
// read, no token verified for a denied client. CORS headers go on only once
// the Origin passed.

import type { NetworkConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import { applyCorsHeaders } from '../../server/cors.js';
import type { HttpExchange } from '../http-exchange.js';
import { networkStage as decideNetwork, type NetworkStageOptions } from '../network-stage.js';
import type { PolicySource } from '../policy-source.js';
import type { Stage, StageSpec } from '../stage.js';

export const NETWORK_STAGE: StageSpec = {
  name: 'network',
  scope: 'http',
  does: 'client address and Origin checked by the policy (stage "network"), before the body is read; a suspicious-activity block says when it ends',
  fails: ['ERR_NETWORK_DENIED', 'ERR_ORIGIN_DENIED', 'ERR_CLIENT_BLOCKED', 'ERR_POLICY_EVALUATION', 'ERR_AUDIT_UNAVAILABLE'],
};

export function networkStage(policy: PolicySource, logger: Logger, opts: NetworkStageOptions & { cors?: NetworkConfig['cors'] } = {}): Stage<HttpExchange> {
  const log = logger.child({ component: 'network' });
  const { cors, ...stage } = opts;
  return {
    ...NETWORK_STAGE,
    async run(x) {
      const { clientIp, facts } = await decideNetwork(policy, x.req, log, stage);
      x.client = { ip: clientIp, origin: facts.origin, userAgent: facts.userAgent };
      if (cors?.enabled && facts.origin !== null) applyCorsHeaders(x.res, facts.origin, cors.credentials === true);
    },
  };
}
