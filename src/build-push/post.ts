/**
 * build-push's post step (`post-if: always()`): removes what main created under RUNNER_TEMP — the
 * per-run DOCKER_CONFIG with the registry login, and the work directory with the build secrets'
 * files — by the paths main saved, whatever way main ended. Idempotent (main removes both itself when
 * it ends normally); problems are warnings, never a failed job.
 */
import * as core from '@actions/core';
import { existsSync, rmSync } from 'node:fs';
import { errorMessage } from '../shared/errors.js';
import { StateKey } from './constants.js';
import { decodeState } from './state.js';

export async function run(): Promise<void> {
  try {
    const raw = core.getState(StateKey.Cleanup);
    const state = decodeState(raw);
    if (!state) {
      if (raw) core.warning(`build-push: unreadable saved state; nothing removed: ${raw.slice(0, 200)}`);
      else core.info('build-push: main created nothing to remove');
      return;
    }
    const targets: [string | undefined, string][] = [
      [state.dockerConfig, 'the per-run docker config (registry login)'],
      [state.workDir, 'the build work directory'],
    ];
    for (const [path, what] of targets) {
      if (!path) continue;
      if (!existsSync(path)) {
        core.info(`build-push: ${what} is already gone`);
        continue;
      }
      try {
        // Symbolic links inside (to the user's cli-plugins, contexts, buildx) are removed, not followed.
        rmSync(path, { recursive: true, force: true });
        core.info(`build-push: removed ${what} ${path}`);
      } catch (err) {
        core.warning(`build-push: could not remove ${what} ${path}: ${errorMessage(err)}`);
      }
    }
  } catch (err) {
    core.warning(`build-push cleanup failed: ${errorMessage(err)}`);
  }
}
