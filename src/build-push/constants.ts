/** Public interface of actions/build-push: keep in step with action.yml (a test checks). */
export const Inputs = {
  Image: 'image',
  Context: 'context',
  File: 'file',
  Target: 'target',
  BuildArgs: 'build-args',
  Secrets: 'secrets',
  Platforms: 'platforms',
  Push: 'push',
  Tags: 'tags',
  Latest: 'latest',
  ShaLength: 'sha-length',
  CacheRef: 'cache-ref',
  CacheMode: 'cache-mode',
  CacheWrite: 'cache-write',
  Registry: 'registry',
  Username: 'username',
  Password: 'password',
  Provenance: 'provenance',
  Sbom: 'sbom',
  Labels: 'labels',
  PushRetries: 'push-retries',
  Summary: 'summary',
  Network: 'network',
} as const;

export const Outputs = {
  Digest: 'digest',
  ImageRef: 'image-ref',
  Tags: 'tags',
  Metadata: 'metadata',
} as const;

/** Keys passed from main to post through core.saveState (see state.ts). */
export const StateKey = {
  /** JSON SavedState: what main created that post removes; written before anything is put there. */
  Cleanup: 'build-push-cleanup',
} as const;

/** Name prefixes of what main creates under RUNNER_TEMP; post removes nothing else. */
export const TempPrefix = {
  DockerConfig: 'rollway-docker-config-',
  WorkDir: 'rollway-build-',
} as const;
