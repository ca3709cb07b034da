/**
 * A mistake in the workflow file: names the input, the expected form and what was given.
 * `run()` prints it as-is; anything else is reported as an unexpected error.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    readonly input: string,
    readonly expected: string,
    readonly got?: string,
  ) {
    super(`${input}: expected ${expected}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}`);
  }
}

/** A failed AWS call, told as `Call on resource: Code — message`. */
export class AwsCallError extends Error {
  override readonly name = 'AwsCallError';
  constructor(
    readonly call: string,
    readonly resource: string,
    readonly code: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${call} on ${resource}: ${code}${detail ? ` — ${detail}` : ''}`, options);
  }
}

/** The AWS error code of an SDK v3 exception (`name`, or `Code` on raw Query errors). */
export function awsErrorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    for (const v of [e.Code, e.name, e.code]) {
      if (typeof v === 'string' && v && v !== 'Error') return v;
    }
  }
  return 'UnknownError';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Wraps an SDK error into an AwsCallError; passes other errors (and already-wrapped ones) through. */
export function asAwsCallError(call: string, resource: string, err: unknown): Error {
  if (err instanceof AwsCallError || err instanceof ConfigurationError) return err;
  return new AwsCallError(call, resource, awsErrorCode(err), errorMessage(err), { cause: err });
}
