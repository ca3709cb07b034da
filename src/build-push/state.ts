/** What main hands to post (through core.saveState under StateKey.Cleanup), typed and versioned. */
import { basename, isAbsolute } from 'node:path';
import { encodeState, readVersioned } from '../shared/state.js';
import { TempPrefix } from './constants.js';

export interface SavedState {
  version: 1;
  /**
   * The per-run DOCKER_CONFIG (under RUNNER_TEMP) holding this run's registry login. Saved before the
   * login writes to it, so post removes it even when main is killed mid-build.
   */
  dockerConfig?: string;
  /** The work directory with the build secrets' files and the metadata/iid files. */
  workDir?: string;
}

export { encodeState };

/**
 * Undefined for an empty or unreadable value. A path is kept only when it is absolute and named like
 * what main creates (`rollway-docker-config-…`, `rollway-build-…`): post deletes it recursively.
 */
export function decodeState(text: string): SavedState | undefined {
  const s = readVersioned(text, 1);
  if (!s) return undefined;
  const ours = (p: unknown, prefix: string) =>
    typeof p === 'string' && isAbsolute(p) && basename(p).startsWith(prefix) ? p : undefined;
  return {
    version: 1,
    dockerConfig: ours(s.dockerConfig, TempPrefix.DockerConfig),
    workDir: ours(s.workDir, TempPrefix.WorkDir),
  };
}
