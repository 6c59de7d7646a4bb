// The answer of GET /health/ready, from the upstreams' states: 503 only when upstreams are configured and none
// is ready; `starting` counts those still in their first connection attempt. It names no upstream.
import type { UpstreamStatus } from '../upstreams/types.js';

export function readiness(upstreams: readonly Pick<UpstreamStatus, 'state'>[]): { status: number; body: Record<string, unknown> } {
  const ready = upstreams.filter((u) => u.state === 'ready').length;
  const starting = upstreams.filter((u) => u.state === 'starting').length;
  const more = starting > 0 ? { starting } : {};
  if (upstreams.length > 0 && ready === 0) return { status: 503, body: { status: 'not_ready', ...more } };
  return { status: 200, body: { status: ready === upstreams.length ? 'ready' : 'degraded', ...more } };
}
