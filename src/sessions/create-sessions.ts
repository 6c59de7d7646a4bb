// Where 2025-11-25 sessions are known: this process for one hub; with
// `cluster.enabled`, the Redis at `cluster.redis`, with a pub/sub bus to the
// other replicas (docs/deploy.md, "Sessions across replicas").

import type { Logger } from '../log/logger.js';
import { createRedisClient } from '../util/redis-client.js';
import { RedisSessionBus, type SessionBus } from './session-bus.js';
import { MemorySessionIndex, type SessionIndex } from './session-index.js';
import { RedisSessionIndex } from './redis-session-index.js';

export interface Sessions {
  index: SessionIndex;
  bus?: SessionBus;
  close(): Promise<void>;
}

export function createSessions(cluster: { redis: string; replica: string } | undefined, logger: Logger): Sessions {
  if (!cluster) {
    const index = new MemorySessionIndex();
    return { index, close: () => index.close() };
  }
  const commands = createRedisClient({ url: cluster.redis, commandTimeoutMs: 1000 });
  // Subscriber mode takes a connection of its own.
  const subscriber = createRedisClient({ url: cluster.redis, commandTimeoutMs: 1000 });
  const index = new RedisSessionIndex(commands);
  const bus = new RedisSessionBus(cluster.replica, commands, subscriber, logger.child({ component: 'sessions' }));
  return {
    index,
    bus,
    close: async () => {
      await bus.close();
      await index.close();
    },
  };
}
