// Bundle lifecycle: watch, poll, swap, keep the last good policy.
export { PolicyStore, buildPolicy, type ActivationResult, type BundleCandidate, type PolicyStoreOptions, type PolicyStoreStatus } from './policy-store.js';
export { BundleFileWatcher, type BundleUpdater, type FileWatcherOptions, type FileWatcherStatus } from './file-watcher.js';
export {
  BundleServicePoller,
  BundleDownloadError,
  downloadBundle,
  BUNDLE_CONTENT_TYPE,
  type BundleServiceOptions,
  type BundlePollerOptions,
  type BundlePollerStatus,
  type DownloadResult,
  type PollOutcome,
} from './bundle-poller.js';
export { PolicyLifecycle, type PolicyLifecycleOptions, type PolicyLifecycleStatus } from './policy-lifecycle.js';
