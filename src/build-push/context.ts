/**
 * What the workflow run is building, read from the GITHUB_* variables and the event payload.
 * Pure: the caller reads the environment and parses GITHUB_EVENT_PATH, and passes the clock's time.
 */

export type EventKind =
  'push' | 'pull_request' | 'pull_request_target' | 'workflow_dispatch' | 'schedule' | 'release' | 'other';

export interface GitContext {
  readonly event: EventKind;
  /** GITHUB_EVENT_NAME as given (`merge_group`, `workflow_run`… read as kind `other`). */
  readonly eventName: string;
  /** GITHUB_REF, e.g. `refs/heads/main`, `refs/tags/v1.2.3`, `refs/pull/42/merge`. */
  readonly ref: string;
  /** The branch built (`refs/heads/<branch>`); on pull requests, the PR's head branch. */
  readonly branch?: string;
  /** The tag built (`refs/tags/<tag>`, also on `release` events). */
  readonly tag?: string;
  /** `repository.default_branch` from the payload (or the scheduled ref, see gitContextFrom). */
  readonly defaultBranch?: string;
  /** A build of the default branch itself: never true for pull requests, tags or other branches. */
  readonly isDefaultBranch: boolean;
  readonly isPullRequest: boolean;
  /**
   * The commit the image is made from. On pull requests this is the PR head commit
   * (`pull_request.head.sha`), not GITHUB_SHA: that is a merge commit nobody can find again.
   */
  readonly sha: string;
  readonly prNumber?: number;
  /** On pull requests, the branch the PR merges into (GITHUB_BASE_REF). */
  readonly baseBranch?: string;
  /** `owner/name`. */
  readonly repository: string;
  /** `https://github.com/owner/name` (GITHUB_SERVER_URL on GHES). */
  readonly repoUrl: string;
  /** The run's page, when GITHUB_RUN_ID is set. */
  readonly runUrl?: string;
  /** ISO 8601 time of the build (the `org.opencontainers.image.created` label). */
  readonly created: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

const KINDS: readonly EventKind[] = [
  'push',
  'pull_request',
  'pull_request_target',
  'workflow_dispatch',
  'schedule',
  'release',
];

/**
 * Notes on the events:
 * - `pull_request`: GITHUB_REF is `refs/pull/N/merge` and GITHUB_SHA the merge commit; the branch is
 *   GITHUB_HEAD_REF. `pull_request_target` runs on the base branch (GITHUB_REF `refs/heads/<base>`), so
 *   both count as pull requests, never as a default-branch build.
 * - `schedule`: payloads from before 2022 (and some GHES versions) carry only `{"schedule": "…"}`. Scheduled
 *   runs only ever run on the default branch, so then its ref stands in for `default_branch`.
 */
export function gitContextFrom(env: Env, event: unknown, created: Date | string): GitContext {
  const payload = asRecord(event);
  const eventName = (env.GITHUB_EVENT_NAME ?? '').trim();
  const kind: EventKind = (KINDS as readonly string[]).includes(eventName)
    ? (eventName as EventKind)
    : 'other';
  const isPullRequest = kind === 'pull_request' || kind === 'pull_request_target';
  const ref = (env.GITHUB_REF ?? '').trim() || str(payload.ref);
  const repository = (env.GITHUB_REPOSITORY ?? '').trim() || str(asRecord(payload.repository).full_name);
  if (!repository) throw new Error('GITHUB_REPOSITORY is not set: run this inside GitHub Actions');

  const pr = asRecord(payload.pull_request);
  const headSha = str(asRecord(pr.head).sha);
  const sha = (isPullRequest && headSha) || (env.GITHUB_SHA ?? '').trim();
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) {
    throw new Error(
      `GITHUB_SHA is not a commit SHA (${JSON.stringify(sha)}): run this inside GitHub Actions`,
    );
  }

  const refBranch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
  const branch = isPullRequest
    ? (env.GITHUB_HEAD_REF ?? '').trim() || str(asRecord(pr.head).ref) || undefined
    : refBranch;

  const defaultBranch =
    str(asRecord(payload.repository).default_branch) ||
    (kind === 'schedule' && refBranch ? refBranch : '') ||
    undefined;

  const prNumberRaw = pr.number ?? payload.number ?? /^refs\/pull\/(\d+)\//.exec(ref)?.[1];
  const prNumber = isPullRequest && prNumberRaw !== undefined ? Number(prNumberRaw) : undefined;

  const server = ((env.GITHUB_SERVER_URL ?? '').trim() || 'https://github.com').replace(/\/+$/, '');
  const repoUrl = `${server}/${repository}`;
  const runId = (env.GITHUB_RUN_ID ?? '').trim();

  const when = typeof created === 'string' ? new Date(created) : created;
  if (Number.isNaN(when.getTime())) throw new Error(`created: not a valid time (${String(created)})`);

  return {
    event: kind,
    eventName,
    ref,
    branch,
    tag,
    defaultBranch,
    isDefaultBranch: !isPullRequest && refBranch !== undefined && refBranch === defaultBranch,
    isPullRequest,
    sha,
    baseBranch: isPullRequest
      ? (env.GITHUB_BASE_REF ?? '').trim() || str(asRecord(pr.base).ref) || undefined
      : undefined,
    prNumber: prNumber !== undefined && Number.isInteger(prNumber) && prNumber > 0 ? prNumber : undefined,
    repository,
    repoUrl,
    runUrl: runId ? `${repoUrl}/actions/runs/${runId}` : undefined,
    created: when.toISOString(),
  };
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}
