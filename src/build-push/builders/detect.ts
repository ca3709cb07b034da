import type { Builder, BuilderDeps } from '../builder.js';
import { firstLine, parseBuildxInspect } from '../logs.js';
import { BuildxBuilder } from './buildx.js';
import { ClassicBuilder } from './classic.js';

/**
 * Which builder this host has: buildx (with the current builder's name and driver) or, when buildx
 * is missing (self-hosted runners), the classic builder. Read-only: `buildx version` and
 * `buildx inspect`; creating a builder is left to `prepare`, after the inputs are checked.
 */
export async function detectBuilder(deps: BuilderDeps): Promise<Builder> {
  const version = await deps.docker.run(['buildx', 'version']);
  if (version.exitCode !== 0) {
    return new ClassicBuilder(
      deps,
      `docker buildx is not available (${firstLine(version.stderr || version.output)})`,
    );
  }
  deps.log.info(`buildx: ${firstLine(version.output)}`);
  const inspect = await deps.docker.run(['buildx', 'inspect']);
  return new BuildxBuilder(deps, parseBuildxInspect(inspect.output));
}
