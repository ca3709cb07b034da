import * as core from '@actions/core';

/** What actions say, behind a seam so libraries (health gate, orchestrator) stay testable. */
export interface Logger {
  info(message: string): void;
  warning(message: string, props?: core.AnnotationProperties): void;
  error(message: string, props?: core.AnnotationProperties): void;
  debug(message: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export const coreLogger: Logger = {
  info: (m) => core.info(m),
  warning: (m, p) => core.warning(m, p),
  error: (m, p) => core.error(m, p),
  debug: (m) => core.debug(m),
  group: (name, fn) => core.group(name, fn),
};
