/**
 * The real Docker engine and image registry of the build-push end-to-end tests and benchmark, and small
 * clients of the registry's HTTP API v2. `scripts/docker/setup.sh` starts both (dockerd with host
 * networking only; a `distribution` registry on 127.0.0.1:5000 with deletes enabled) and builds the
 * stand-in base images (`debian:bookworm-slim`, `node:24-bookworm-slim`); nothing is pulled from anywhere.
 * Everything here talks to loopback only.
 *
 * ```ts
 * // the test file says `@needs docker` in its header; beforeAll(() => ensureDocker(), 20 * 60_000)
 * const image = `${registryHost}/sample`;
 * // ... build and push `${image}:e2e` ...
 * expect(await manifestDigest('sample', 'e2e')).toBe(outputs.digest);
 * expect(await tagsOf('sample')).toContain('e2e');
 * ```
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** host:port of the test registry, as an image reference prefix: `${registryHost}/sample:tag`. */
export const registryHost = process.env.ROLLWAY_REGISTRY_ADDR ?? '127.0.0.1:5000';
export const registryUrl = `http://${registryHost}`;

/** The sample image's build context (Dockerfile + package.json + tools/ + src/). */
export const sampleContext = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'tools',
  'build-push',
  'sample',
);

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** Every manifest kind a push can produce (legacy builder: docker v2; buildx: OCI index + attestations). */
const ACCEPT = Object.values(MEDIA_TYPES).join(', ');

export interface Manifest {
  /** The manifest's content digest (`Docker-Content-Digest`), what `docker push` and buildx report. */
  readonly digest: string;
  readonly mediaType: string;
  /** The parsed manifest: `layers` for an image manifest, `manifests` for an index / manifest list. */
  readonly body: {
    mediaType?: string;
    config?: { digest: string };
    layers?: { digest: string; size: number }[];
    manifests?: { digest: string; mediaType: string; platform?: { os: string; architecture: string } }[];
  };
}

function manifestUrl(repo: string, ref: string): string {
  return `${registryUrl}/v2/${repo}/manifests/${encodeURIComponent(ref)}`;
}

/**
 * The digest `repo:ref` points to (a tag, or a digest to check it exists), or null when the registry does
 * not have it. A HEAD request, as `docker buildx imagetools` and `crane digest` do; the digest comes from
 * `Docker-Content-Digest` (falling back to hashing the body of a GET, which is the same thing).
 */
export async function manifestDigest(repo: string, ref: string): Promise<string | null> {
  const head = await fetch(manifestUrl(repo, ref), { method: 'HEAD', headers: { accept: ACCEPT } });
  if (head.status === 404) return null;
  if (!head.ok) throw new Error(`HEAD ${manifestUrl(repo, ref)}: HTTP ${head.status}`);
  const digest = head.headers.get('docker-content-digest');
  return digest ?? (await manifest(repo, ref))?.digest ?? null;
}

/** The manifest `repo:ref` points to, parsed, or null when the registry does not have it. */
export async function manifest(repo: string, ref: string): Promise<Manifest | null> {
  const res = await fetch(manifestUrl(repo, ref), { headers: { accept: ACCEPT } });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`GET ${manifestUrl(repo, ref)}: HTTP ${res.status}`);
  const raw = Buffer.from(await res.arrayBuffer());
  const body = JSON.parse(raw.toString('utf8')) as Manifest['body'];
  const digest =
    res.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const mediaType = body.mediaType ?? res.headers.get('content-type') ?? '';
  return { digest, mediaType, body };
}

/**
 * The layer digests of the linux/amd64 image `repo:ref` (following an index or manifest list to its
 * linux/amd64 entry; buildx's attestation manifests are `unknown/unknown` and skipped). Two builds whose
 * lists share a prefix shared those layers: the way to assert "the rebuild reused the cache".
 */
export async function layersOf(repo: string, ref: string): Promise<string[]> {
  let m = await manifest(repo, ref);
  if (!m) throw new Error(`${registryHost}/${repo}:${ref} is not in the registry`);
  if (m.body.manifests) {
    const entry =
      m.body.manifests.find((e) => e.platform?.os === 'linux' && e.platform.architecture === 'amd64') ??
      m.body.manifests.find((e) => e.platform?.os !== 'unknown');
    if (!entry) throw new Error(`${registryHost}/${repo}:${ref}: no linux/amd64 image in its index`);
    m = await manifest(repo, entry.digest);
    if (!m) throw new Error(`${registryHost}/${repo}@${entry.digest} is listed but missing`);
  }
  return (m.body.layers ?? []).map((l) => l.digest);
}

/** The tags of `repo`, sorted; [] when the repository does not exist (yet). */
export async function tagsOf(repo: string): Promise<string[]> {
  const res = await fetch(`${registryUrl}/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`GET ${registryUrl}/v2/${repo}/tags/list: HTTP ${res.status}`);
  const { tags } = (await res.json()) as { tags: string[] | null };
  return [...(tags ?? [])].sort();
}

/**
 * Deletes the manifest `repo@digest` (and so every tag pointing to it). The registry runs with deletes
 * enabled; blobs stay until a garbage collection, which tests never need.
 */
export async function deleteManifest(repo: string, digest: string): Promise<void> {
  const res = await fetch(manifestUrl(repo, digest), { method: 'DELETE' });
  if (res.status !== 202 && res.status !== 404) {
    throw new Error(`DELETE ${manifestUrl(repo, digest)}: HTTP ${res.status}`);
  }
}

/** Deletes every tag of `repo` (through their manifests): a clean slate for a suite. */
export async function clearRepo(repo: string): Promise<void> {
  for (const tag of await tagsOf(repo)) {
    const digest = await manifestDigest(repo, tag);
    if (digest) await deleteManifest(repo, digest);
  }
}
