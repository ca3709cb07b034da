import * as core from '@actions/core';
import { ConfigurationError, errorMessage } from './errors.js';
import type { RawInputs } from './inputs.js';

/** Reads the named inputs through @actions/core (the only place that touches INPUT_* variables). */
export function readRawInputs(names: readonly string[]): RawInputs {
  const raw: Record<string, string> = {};
  for (const name of names) raw[name] = core.getInput(name, { trimWhitespace: false });
  return raw;
}

/**
 * The single place where an error becomes `setFailed`. A ConfigurationError is a user's mistake and
 * reads as one; anything else is reported with its stack in the debug log.
 */
export async function runAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof ConfigurationError) {
      core.setFailed(`Invalid input — ${err.message}`);
    } else {
      if (err instanceof Error && err.stack) core.debug(err.stack);
      core.setFailed(errorMessage(err));
    }
  }
}

/** Whether the job summary is wanted (an input every action shares; defaults to on). */
export function writeSummary(markdown: string, enabled: boolean): Promise<unknown> {
  if (!enabled || !process.env.GITHUB_STEP_SUMMARY) return Promise.resolve();
  return core.summary.addRaw(markdown, true).write();
}
