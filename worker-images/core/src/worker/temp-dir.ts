/** The worker's temp dir (VIDEO_WORKER_TEMP_DIR): checked at start and by `readiness`. */
import { mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from './log.js';

/**
 * Creates and removes a scratch directory in `dir`: jobs need it writable (a read-only root with a
 * volume or tmpfs mounted root-owned fails here, not at the first job).
 */
export async function writableDir(dir: string): Promise<string> {
  try {
    await mkdir(dir, { recursive: true });
    const probe = await mkdtemp(join(dir, '.rollway-write-check-'));
    await rm(probe, { recursive: true, force: true });
  } catch (err) {
    throw new Error(`VIDEO_WORKER_TEMP_DIR ${dir} is not writable: ${errorMessage(err)}`);
  }
  const s = await statfs(dir).catch(() => undefined);
  return s ? `${dir} (${formatBytes(Number(s.bavail) * Number(s.bsize))} free)` : dir;
}

function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;
}
