/**
 * npm run core:local — the processing core end to end on this machine, no cloud: an SQS/S3 emulator on
 * loopback, the video API, one worker with real ffmpeg. One generated video goes in through the API;
 * a playable HLS ladder comes out, and is validated (playlists, segments, keyframes aligned).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputKeys } from '../worker-images/core/src/contracts.js';
import { checkKeyframeAlignment, validateHls } from '../worker-images/core/src/media/index.js';
import { generateVideo, startLocalCore } from '../tools/core/local.js';

const t0 = performance.now();
const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const core = await startLocalCore({ quiet: process.env.CORE_VERBOSE !== '1' });
try {
  console.log(
    `API ${core.apiUrl}, SQS/S3 emulator ${core.fauxqs.endpoint}, worker polling "${core.env.VIDEO_SQS_QUEUE_NAME}"`,
  );
  const source = join(core.workDir, 'input', 'demo.mp4');
  generateVideo(source, { seconds: 14, size: '1280x720' });
  await core.upload(source, 'uploads/demo.mp4');
  const submitted = performance.now();
  const id = await core.submit('uploads/demo.mp4');
  console.log(`POST /v1/videos → job ${id} (queued)`);
  const job = await core.waitFor(id);
  console.log(`GET /v1/videos/${id} → ${job.status} after ${s(performance.now() - submitted)}`);
  console.log(JSON.stringify(job, null, 2));
  if (job.status !== 'ready') process.exit(1);
  const out = mkdtempSync(join(tmpdir(), 'rollway-ladder-'));
  const keys = await core.download(`${outputKeys.prefix(id)}/`, out);
  // Both throw (HlsValidationError, naming every problem) when the ladder is not playable.
  const report = await validateHls(out);
  const aligned = await checkKeyframeAlignment(out, report.variants);
  console.log(`\n${keys.length} objects under ${outputKeys.prefix(id)}/ (copied to ${out})`);
  for (const v of aligned) {
    const starts = (v.segmentStarts ?? []).map((t) => t.toFixed(2)).join(', ');
    console.log(
      `  ${v.name} (${v.master.resolution ? `${v.master.resolution.width}x${v.master.resolution.height}` : '?'}, ${v.master.bandwidth} b/s): ${v.segmentPaths.length} segments, keyframes at ${starts}`,
    );
  }
  console.log(
    `ladder valid and keyframes aligned across renditions; play it: ffplay ${join(out, 'master.m3u8')}`,
  );
  console.log(`total ${s(performance.now() - t0)}`);
} finally {
  await core.stop();
}
