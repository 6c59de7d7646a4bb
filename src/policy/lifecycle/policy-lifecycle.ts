// Bundle lifecycle, assembled from `policies`: the store, plus the one
// updater that feeds it (the bundle service when configured, else the watch
// on the local bundle file). start / stop / status, like every background
// component; status() is what /health shows under `policy`.
import { readFile } from 'node:fs/promises';
import type { Registry } from 'prom-client';
import type { PoliciesConfig } from '../../config/types.js';
import { HatagoError } from '../../errors/index.js';
import { silentLogger, type Logger } from '../../log/logger.js';
import type { SecurityEventSink } from '../../pipeline/security-events.js';
import { prepareVerificationKeys, type VerificationKeys } from '../bundle/verification-keys.js';
import { BUNDLE_CONTENT_TYPE, BundleServicePoller, downloadBundle } from './bundle-poller.js';
import { BundleFileWatcher, type BundleUpdater } from './file-watcher.js';
import { PolicyStore, type PolicyStoreStatus } from './policy-store.js';

export interface PolicyLifecycleOptions {
  policies: PoliciesConfig;
  /** Operator config the policy reads at `data.config`. */
  runtimeData?: object;
  logger?: Logger;
  events?: SecurityEventSink;
  registry?: Registry;
}

export type PolicyLifecycleStatus = PolicyStoreStatus & { updater: ReturnType<BundleUpdater['status']> | null };

async function readBundleFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new HatagoError('ERR_BUNDLE_NOT_FOUND', {
      detail: `cannot read policy bundle ${path}: ${err instanceof Error ? err.message : String(err)}`,
      data: { path },
      cause: err,
    });
  }
}

export class PolicyLifecycle {
  private started = false;

  private constructor(
    readonly store: PolicyStore,
    readonly updater: BundleUpdater | null,
  ) {}

  /**
   * Loads the start-up policy. With `service`: one download from it, else
   * (unreachable, or its bundle fails) the local `bundle` file. Without: the
   * local file. Throws when no policy loads (ERR_BUNDLE_NOT_FOUND,
   * ERR_BUNDLE_INVALID, ERR_BUNDLE_SIGNATURE) or the keys are bad
   * (ERR_CONFIG_INVALID).
   */
  static async create(opts: PolicyLifecycleOptions): Promise<PolicyLifecycle> {
    const { policies } = opts;
    const logger = opts.logger ?? silentLogger;
    const log = logger.child({ component: 'policy' });
    const verification: VerificationKeys | undefined = policies.verification ? prepareVerificationKeys(policies.verification) : undefined;
    const storeOpts = {
      runtimeData: opts.runtimeData ?? {},
      logger,
      ...(verification && { verification }),
      ...(opts.events && { events: opts.events }),
      ...(opts.registry && { registry: opts.registry }),
    };

    if (policies.service) {
      const service = policies.service;
      let store: PolicyStore | undefined;
      let seed: { etag: string | null; longPoll: boolean } = { etag: null, longPoll: false };
      try {
        const res = await downloadBundle({ ...service, longPollingTimeoutSeconds: undefined } as typeof service, {});
        if (res.status === 200) {
          store = await PolicyStore.create({ bytes: res.bytes, source: `service:${service.url}` }, storeOpts);
          seed = { etag: res.etag, longPoll: res.contentType === BUNDLE_CONTENT_TYPE };
        }
      } catch (err) {
        const reason = err instanceof HatagoError ? (err.detail ?? err.message) : err instanceof Error ? err.message : String(err);
        log.warn('bundle service did not give a usable bundle at start-up; starting from the local bundle', { url: service.url, reason, bundle: policies.bundle });
      }
      store ??= await PolicyStore.create({ bytes: await readBundleFile(policies.bundle), source: `file:${policies.bundle}` }, storeOpts);
      const poller = new BundleServicePoller(service, store, { logger });
      poller.seed(seed.etag, seed.longPoll);
      return new PolicyLifecycle(store, poller);
    }

    const store = await PolicyStore.create({ bytes: await readBundleFile(policies.bundle), source: `file:${policies.bundle}` }, storeOpts);
    const watch = policies.watch?.enabled !== false;
    const watcher = watch
      ? new BundleFileWatcher(policies.bundle, store, { logger, ...(policies.watch?.debounceMs !== undefined && { debounceMs: policies.watch.debounceMs }) })
      : null;
    return new PolicyLifecycle(store, watcher);
  }

  /** Starts watching or polling (after the hub is up). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.updater?.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.updater?.stop();
  }

  status(): PolicyLifecycleStatus {
    return { ...this.store.status(), updater: this.updater?.status() ?? null };
  }
}
