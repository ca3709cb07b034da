import { context } from '@actions/github';
import { randomBytes } from 'node:crypto';

/** Where this step runs, from `@actions/github`'s context. */
export interface GitHubRun {
  serverUrl: string;
  /** owner/repo; empty outside Actions. */
  repository: string;
  runId: string;
  runAttempt: string;
  job: string;
}

export function gitHubRun(): GitHubRun {
  let repository = '';
  try {
    repository = `${context.repo.owner}/${context.repo.repo}`;
  } catch {
    // Not in a workflow run (no GITHUB_REPOSITORY, no event payload).
  }
  const num = (n: number) => (Number.isFinite(n) ? String(n) : '');
  return {
    serverUrl: context.serverUrl,
    repository,
    runId: num(context.runId),
    runAttempt: num(context.runAttempt),
    job: context.job ?? '',
  };
}

/** The run's page, or '' outside Actions. */
export function runUrl(run: GitHubRun): string {
  return run.repository && run.runId ? `${run.serverUrl}/${run.repository}/actions/runs/${run.runId}` : '';
}

/**
 * A random id for one step execution. Run id, attempt and job name do not identify one: every leg of a
 * matrix (and every use of an action twice in a job) shares them. Kept in the saved state, so the post
 * step acts only on what its own main did.
 */
export function stepNonce(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
