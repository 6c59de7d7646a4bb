import type { ServerConfig } from '../config/types.js';
import { ClientUpstream } from './client-upstream.js';
import type { Upstream, UpstreamOptions } from './types.js';

/** An Upstream for one configured server (stdio, Streamable HTTP or legacy SSE). Not started. */
export function createUpstream(id: string, config: ServerConfig, opts: UpstreamOptions = {}): Upstream {
  return new ClientUpstream(id, config, opts);
}
