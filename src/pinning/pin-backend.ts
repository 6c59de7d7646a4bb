// Where the pins live. The registry reads and writes synchronously (a
// request's plan is built without awaiting), so each backend keeps the
// store's latest state at hand: the file backend reads the file (a `stat`
// tells whether it changed), the Redis backend a snapshot kept current by a
// pub/sub message each writer sends.

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { HubLogger } from '../hub/types.js';
import { createRedisClient } from '../util/redis-client.js';
import { emptyPins, fileStamp, PIN_FILE_VERSION, PinFileError, readPinFile, writePinFile, type PinFileData } from './pin-file.js';

export interface PinBackend {
  /** Where the pins are, for logs and messages (a Redis URL without credentials). */
  readonly where: string;
  read(): PinFileData;
  write(data: PinFileData): void;
  /** Changes whenever the store changed (by anyone); null when there is nothing yet. */
  stamp(): string | null;
  close(): Promise<void>;
}

export class FilePinBackend implements PinBackend {
  constructor(readonly where: string) {}
  read(): PinFileData {
    return readPinFile(this.where);
  }
  write(data: PinFileData): void {
    writePinFile(this.where, data);
  }
  stamp(): string | null {
    return fileStamp(this.where);
  }
  async close(): Promise<void> {}
}

export const REDIS_PINS_KEY = 'hatago:pins';
export const REDIS_PINS_CHANNEL = 'hatago:pins:changed';

export const isRedisUrl = (s: unknown): s is string => typeof s === 'string' && /^rediss?:\/\//.test(s);

/** A Redis URL as logs may show it: no user or password. */
export function redisWhere(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return 'redis://?';
  }
}

/** Parses the stored JSON; a value that is not a pin store is an error, as a broken file is. */
export function parsePins(text: string | null, where: string): PinFileData {
  if (text === null) return emptyPins();
  let p: Partial<PinFileData>;
  try {
    p = JSON.parse(text) as Partial<PinFileData>;
  } catch (err) {
    throw new PinFileError(`pin store ${where} is not JSON: ${(err as Error).message}`);
  }
  if (typeof p !== 'object' || p === null || p.version !== PIN_FILE_VERSION || !Array.isArray(p.pins)) {
    throw new PinFileError(`pin store ${where} is not a version ${PIN_FILE_VERSION} pin file`);
  }
  return { version: PIN_FILE_VERSION, pins: p.pins, journal: Array.isArray(p.journal) ? p.journal : [] };
}

/** Waits until an ioredis client is ready (commands never queue: see createRedisClient). */
export function ready(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => {
      client.off('ready', ok);
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const ok = () => {
      client.off('error', fail);
      resolve();
    };
    client.once('ready', ok);
    client.once('error', fail);
  });
}

/**
 * One JSON value under `hatago:pins`, shared by every hub pointing at the
 * same Redis. A writer sets it and publishes on `hatago:pins:changed`; every
 * hub re-reads it on that message. Writes are whole-value (the last writer
 * wins, as with the file); a failed write is logged and retried with the next.
 */
export class RedisPinBackend implements PinBackend {
  private snapshot: PinFileData;
  private version = 0;
  private readonly id = randomUUID();

  private constructor(
    readonly where: string,
    private readonly client: Redis,
    private readonly subscriber: Redis,
    private readonly logger: HubLogger,
    first: PinFileData,
  ) {
    this.snapshot = first;
  }

  /** Connects, reads the store and subscribes; throws when Redis cannot be reached or the value is broken. */
  static async open(url: string, logger: HubLogger): Promise<RedisPinBackend> {
    const where = redisWhere(url);
    const client = createRedisClient({ url, commandTimeoutMs: 2000 });
    const subscriber = createRedisClient({ url, commandTimeoutMs: 2000 });
    try {
      await Promise.all([ready(client), ready(subscriber)]);
      const first = parsePins(await client.get(REDIS_PINS_KEY), where);
      const backend = new RedisPinBackend(where, client, subscriber, logger, first);
      subscriber.on('message', (_channel: string, from: string) => {
        if (from !== backend.id) void backend.reload();
      });
      await subscriber.subscribe(REDIS_PINS_CHANNEL);
      // Errors after start are logged by the reads and writes that meet them.
      client.on('error', () => undefined);
      subscriber.on('error', () => undefined);
      return backend;
    } catch (err) {
      client.disconnect();
      subscriber.disconnect();
      throw err instanceof PinFileError ? err : new PinFileError(`pin store ${where} cannot be reached: ${(err as Error).message}`);
    }
  }

  private async reload(): Promise<void> {
    try {
      this.snapshot = parsePins(await this.client.get(REDIS_PINS_KEY), this.where);
      this.version++;
    } catch (err) {
      this.logger.error('pin store cannot be read; keeping the pins last read', { store: this.where, error: String(err) });
    }
  }

  read(): PinFileData {
    return structuredClone(this.snapshot);
  }

  write(data: PinFileData): void {
    this.snapshot = structuredClone(data);
    this.version++;
    const text = JSON.stringify(data);
    this.client
      .multi()
      .set(REDIS_PINS_KEY, text)
      .publish(REDIS_PINS_CHANNEL, this.id)
      .exec()
      .catch((err: unknown) => this.logger.error('pin store write failed', { store: this.where, error: String(err) }));
  }

  stamp(): string | null {
    return String(this.version);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    await this.client.quit().catch(() => undefined);
  }
}
