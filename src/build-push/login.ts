import * as core from '@actions/core';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { awsCall, awsClientConfig } from '../shared/aws.js';
import { assertNotOption } from './args.js';
import type { DockerCli } from './docker.js';

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** How long the ECR token call may take, the SDK's own retries included. */
export const ECR_TOKEN_DEADLINE_MS = 120_000;

/** The registry host of an image reference ("ghcr.io/acme/api" → "ghcr.io"; "acme/api" → Docker Hub). */
export function registryHost(image: string): string {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : 'docker.io';
}

export function ecrRegion(host: string): string | undefined {
  return ECR_HOST.exec(host)?.[2];
}

export interface LoginOptions {
  readonly image: string;
  readonly registry: string;
  readonly username: string;
  readonly password: string;
}

/** The registry a login goes to: `registry`, else the image's host. */
export function loginHost(o: Pick<LoginOptions, 'image' | 'registry'>): string {
  return o.registry || registryHost(o.image);
}

/** Whether `login` would log in: credentials are given, or the image is on ECR. */
export function wantsLogin(o: LoginOptions): boolean {
  return Boolean(o.password) || ecrRegion(loginHost(o)) !== undefined;
}

/**
 * Logs in when credentials are given, or through the AWS credential chain for an ECR image. Without
 * either it does nothing: an earlier docker/login-action step (or the runner's own credentials)
 * stands. The password goes over stdin, never on the command line; the caller points `docker` at a
 * per-run DOCKER_CONFIG, so the stored login goes when the run ends.
 */
export async function login(
  docker: DockerCli,
  o: LoginOptions,
  clock: Pick<Clock, 'now'> = systemClock,
): Promise<string | undefined> {
  const host = loginHost(o);
  let username = o.username;
  let password = o.password;
  const region = ecrRegion(host);
  if (!password && region) {
    const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
    const client = new ECRClient(awsClientConfig(region));
    const out = await awsCall(
      'GetAuthorizationToken',
      host,
      (abortSignal) => client.send(new GetAuthorizationTokenCommand({}), { abortSignal }),
      { deadline: clock.now() + ECR_TOKEN_DEADLINE_MS, clock },
    );
    // base64("AWS:<password>"): the very form docker stores in config.json.
    const token = out.authorizationData?.[0]?.authorizationToken ?? '';
    core.setSecret(token);
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
    core.setSecret(password);
  }
  if (!password) return undefined;
  if (!username) throw new Error(`username is required with password for ${host}`);
  const r = await docker.run(
    ['login', '--username', username, '--password-stdin', assertNotOption(host, 'registry')],
    {
      input: password,
    },
  );
  if (r.exitCode !== 0)
    throw new Error(`docker login ${host} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return host;
}
