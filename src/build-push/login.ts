import * as core from '@actions/core';
import { awsClientConfig } from '../shared/aws.js';
import { asAwsCallError } from '../shared/errors.js';
import type { DockerCli } from './docker.js';

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

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

/**
 * Logs in when credentials are given, or through the AWS credential chain for an ECR image. Without
 * either it does nothing: an earlier docker/login-action step (or the runner's own credentials)
 * stands. The password goes over stdin, never on the command line.
 */
export async function login(
  docker: DockerCli,
  o: { image: string; registry: string; username: string; password: string },
): Promise<string | undefined> {
  const host = o.registry || registryHost(o.image);
  let username = o.username;
  let password = o.password;
  const region = ecrRegion(host);
  if (!password && region) {
    const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
    try {
      const out = await new ECRClient(awsClientConfig(region)).send(new GetAuthorizationTokenCommand({}));
      const token = out.authorizationData?.[0]?.authorizationToken ?? '';
      core.setSecret(token);
      const decoded = Buffer.from(token, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
      core.setSecret(password);
    } catch (err) {
      throw asAwsCallError('GetAuthorizationToken', host, err);
    }
  }
  if (!password) return undefined;
  if (!username) throw new Error(`username is required with password for ${host}`);
  const r = await docker.run(['login', '--username', username, '--password-stdin', host], {
    input: password,
  });
  if (r.exitCode !== 0)
    throw new Error(`docker login ${host} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return host;
}
