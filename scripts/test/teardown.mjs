/**
 * Jest's global teardown: a Docker set-up that the global set-up started in the background and that is
 * still running (say the Docker suites were filtered out with -t, or failed early) is waited for, so no
 * half-done set-up outlives the run. Daemons it started keep running (scripts/docker/teardown.sh stops them).
 */
import { backgroundDockerSetup } from './setup.mjs';

export default async function globalTeardown() {
  const setup = backgroundDockerSetup();
  if (!setup) return;
  if (!setup.finished) {
    process.stderr.write(
      `[test-setup] waiting for the Docker set-up started by this run (log: ${setup.logFile})\n`,
    );
  }
  const r = await setup.done;
  if (r.code !== 0) {
    process.stderr.write(
      `[test-setup] the background Docker set-up failed (exit ${r.code ?? r.signal}); see ${setup.logFile}\n`,
    );
  }
}
