import { EventEmitter } from 'node:events';
import type { ServerConfig } from '../config/types.js';
import { createUpstream } from './create-upstream.js';
import type { RelayRefusal, Upstream, UpstreamCatalog, UpstreamOptions, UpstreamStatus } from './types.js';

/**
 * All enabled upstreams. `disabled` servers are not created. Events, each
 * with the server id first:
 * - `catalog` (id, catalog: UpstreamCatalog)
 * - `notification` (id, method, params)
 * - `state` (id, status: UpstreamStatus)
 * - `relay_refused` (id, { method, reason }): an upstream→client request no caller could be matched to
 */
export class UpstreamManager extends EventEmitter {
  private readonly upstreams = new Map<string, Upstream>();

  constructor(servers: Record<string, ServerConfig>, opts: UpstreamOptions = {}) {
    super();
    for (const [id, config] of Object.entries(servers)) {
      if (config.disabled) continue;
      const upstream = createUpstream(id, config, opts);
      upstream.on('catalog', (catalog: UpstreamCatalog) => this.emit('catalog', id, catalog));
      upstream.on('notification', (method: string, params: unknown) => this.emit('notification', id, method, params));
      upstream.on('state', (status: UpstreamStatus) => this.emit('state', id, status));
      upstream.on('relay_refused', (info: RelayRefusal) => this.emit('relay_refused', id, info));
      this.upstreams.set(id, upstream);
    }
  }

  /** Starts every upstream in parallel. Never rejects for one upstream: its status says `failed`. */
  async start(): Promise<void> {
    await Promise.allSettled([...this.upstreams.values()].map((u) => u.start()));
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.upstreams.values()].map((u) => u.stop()));
  }

  get(id: string): Upstream | undefined {
    return this.upstreams.get(id);
  }

  list(): Upstream[] {
    return [...this.upstreams.values()];
  }

  statuses(): UpstreamStatus[] {
    return this.list().map((u) => u.status());
  }
}
