/** What main hands to post (through core.saveState under StateKey.Cleanup), typed and versioned. */
import { basename, isAbsolute } from 'node:path';
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

export function encodeState(state: SavedState): string {
  return JSON.stringify(state);
}

/**
 * Undefined for an empty or unreadable value. A path is kept only when it is absolute and named like
 * what main creates (`rollway-docker-config-…`, `rollway-build-…`): post deletes it recursively.
 */
export function decodeState(text: string): SavedState | undefined {
  if (!text.trim()) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || (v as { version?: unknown }).version !== 1) return undefined;
  const s = v as Record<string, unknown>;
  const ours = (p: unknown, prefix: string) =>
    typeof p === 'string' && isAbsolute(p) && basename(p).startsWith(prefix) ? p : undefined;
  return {
    version: 1,
    dockerConfig: ours(s.dockerConfig, TempPrefix.DockerConfig),
    workDir: ours(s.workDir, TempPrefix.WorkDir),
  };
}
