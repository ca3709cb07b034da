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
} as const;

export const Outputs = {
  Digest: 'digest',
  ImageRef: 'image-ref',
  Tags: 'tags',
  Metadata: 'metadata',
} as const;
