/**
 * The worker process as production runs it (main.ts's runWorkerProcess: env config, real clients,
 * signal handling), with the fake pipeline in place of the media module. Spawned by shutdown.test.ts.
 */
import { runWorkerProcess } from '../../../worker-images/core/src/worker/main.js';
import { FakePipeline } from './fakes.js';

const pipeline = new FakePipeline({
  segments: 10_000,
  segmentDelayMs: 200,
  ...(process.env.ABORT_MARKER ? { abortMarker: process.env.ABORT_MARKER } : {}),
});
process.exit(await runWorkerProcess(pipeline));
