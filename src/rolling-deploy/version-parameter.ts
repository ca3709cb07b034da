/**
 * `version-parameter`: the SSM String parameter hosts boot on (worker-images/deploy/boot.sh reads it, so
 * instances started later — or stopped workers waking up — come up on the version deployed last). Main
 * reads it in preflight (a missing parameter is refused: the CDK stack creates it), saves its value in
 * state, then sets it to the new version before the first target is touched; a rollback (main's, or the
 * post step's after main died) puts the saved value back. The SSM client is imported only when used.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { awsCall, awsClientConfig } from '../shared/aws.js';
import { AwsCallError, ConfigurationError } from '../shared/errors.js';
import { Inputs } from './constants.js';

export interface VersionParameterConfig {
  readonly name: string;
  readonly region: string;
}

/** What the SSM API accepts as a parameter name: a path "/a/b" or a plain "a-b_c.d", ≤ 2048 characters. */
const NAME = /^(?:(?:\/[A-Za-z0-9_.-]+)+|[A-Za-z0-9_.-]+)$/;
export const VERSION_PARAMETER_FORM =
  'an SSM parameter name: a path like "/rollway/prod/image-tag" or a plain name like "image-tag" (letters, digits, "_.-", at most 2048 characters)';

/** Checks the name; throws a ConfigurationError naming the input. */
export function checkVersionParameterName(name: string): string {
  if (name.length > 2048 || !NAME.test(name) || /^\/?aws|^\/?ssm/i.test(name)) {
    throw new ConfigurationError(Inputs.VersionParameter, VERSION_PARAMETER_FORM, name);
  }
  return name;
}

/** Deadline of one parameter call, retries included. */
const CALL_MS = 30_000;

export class VersionParameter {
  private client?: Pick<SSMClient, 'send'>;

  constructor(
    readonly config: VersionParameterConfig,
    client?: Pick<SSMClient, 'send'>,
  ) {
    this.client = client;
  }

  private async ssm(): Promise<Pick<SSMClient, 'send'>> {
    if (!this.client) {
      const { SSMClient } = await import('@aws-sdk/client-ssm');
      this.client = new SSMClient(awsClientConfig(this.config.region));
    }
    return this.client;
  }

  /** The current value. A missing parameter, or one that is not a String, is refused naming the input. */
  async read(): Promise<string> {
    const client = await this.ssm();
    const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const { name } = this.config;
    let out;
    try {
      out = await awsCall(
        'GetParameter',
        name,
        (abortSignal) => client.send(new GetParameterCommand({ Name: name }), { abortSignal }),
        { deadline: Date.now() + CALL_MS },
      );
    } catch (err) {
      if (err instanceof AwsCallError && err.code === 'ParameterNotFound') {
        throw new ConfigurationError(
          Inputs.VersionParameter,
          `an existing SSM String parameter in ${this.config.region} (the stack that runs the fleet creates it; rolling-deploy never does)`,
          `${name} (not found)`,
        );
      }
      throw err;
    }
    const p = out.Parameter;
    if (p?.Type !== 'String' || p.Value === undefined) {
      throw new ConfigurationError(
        Inputs.VersionParameter,
        'an SSM parameter of type String',
        `${name} (${p?.Type ?? 'no value'})`,
      );
    }
    return p.Value;
  }

  /** Overwrites the value (the parameter exists: read() checked it). */
  async write(value: string): Promise<void> {
    const client = await this.ssm();
    const { PutParameterCommand } = await import('@aws-sdk/client-ssm');
    const { name } = this.config;
    await awsCall(
      'PutParameter',
      name,
      (abortSignal) =>
        client.send(new PutParameterCommand({ Name: name, Value: value, Overwrite: true }), { abortSignal }),
      { deadline: Date.now() + CALL_MS },
    );
  }
}
