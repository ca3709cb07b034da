import { ConfigurationError } from './errors.js';

/**
 * Config every AWS client shares. Credentials come from the SDK's default chain (env vars set by
 * aws-actions/configure-aws-credentials, OIDC web identity, profiles, instance roles). Endpoints are
 * left to the SDK, so `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` overrides keep working.
 */
export interface AwsClientConfig {
  region: string;
  maxAttempts: number;
  retryMode: 'adaptive';
  customUserAgent: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function resolveRegion(input: string, env: NodeJS.ProcessEnv = process.env): string {
  const region = input.trim() || env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || '';
  if (!region) {
    throw new ConfigurationError('aws-region', 'an AWS region like "eu-west-1" (or set AWS_REGION)', '');
  }
  if (!REGION.test(region))
    throw new ConfigurationError('aws-region', 'an AWS region like "eu-west-1"', region);
  return region;
}

export function awsClientConfig(regionInput: string, env: NodeJS.ProcessEnv = process.env): AwsClientConfig {
  return {
    region: resolveRegion(regionInput, env),
    // Adaptive mode adds client-side rate limiting on top of standard retries: the right default for
    // throttled control-plane APIs such as EC2 (RequestLimitExceeded) and ELBv2.
    maxAttempts: 6,
    retryMode: 'adaptive',
    customUserAgent: 'rollway',
  };
}
