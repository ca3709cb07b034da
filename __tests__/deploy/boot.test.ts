/**
 * worker-images/deploy/boot.sh, the EC2 user data, run for real on a fake host: a temporary root
 * (ROLLWAY_ROOT) and fake aws/docker/systemctl/curl/apt-get/dnf first on PATH that record their argv
 * (__tests__/deploy/fake-host-tool.sh). `docker compose pull|up` also asks the REAL Compose v2 which
 * images the written project resolves to, so "the version read is the one started" is checked end to end
 * through compose.yaml and the .env boot.sh writes. No AWS, no Docker engine.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { BOOT_SH, COMPOSE_YAML, FakeHost, withoutComments } from './host.js';

const REGISTRY = '127.0.0.1:5000';
const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const PARAM = '/rollway/prod/image-tag';
const BASE = { IMAGE_REGISTRY: REGISTRY, AWS_REGION: 'eu-west-1' };

let host: FakeHost;
afterEach(() => host?.cleanup());

function workerHost(o: ConstructorParameters<typeof FakeHost>[0] = {}): FakeHost {
  host = new FakeHost(o);
  host.writeFile('opt/rollway/worker.env', 'VIDEO_SQS_QUEUE_NAME=q\n');
  return host;
}

const has = (calls: string[][], ...argv: string[]) =>
  calls.some((c) => c.length === argv.length && c.every((a, i) => a === argv[i]));

describe('first boot (cloud-init runs the user data)', () => {
  test('reads the version from the SSM parameter, then pulls and starts exactly that version of the role', () => {
    workerHost();
    host.setParameter(PARAM, 'v1.4.2');
    const r = host.boot(BASE);
    expect(r.stderr).toContain('worker: image tag v1.4.2 (from SSM /rollway/prod/image-tag in eu-west-1)');
    expect(r.status).toBe(0);

    const calls = host.calls();
    expect(has(calls, 'systemctl', 'enable', '--now', 'docker.service')).toBe(true);
    expect(has(calls, 'systemctl', 'daemon-reload')).toBe(true);
    expect(has(calls, 'systemctl', 'enable', 'rollway.service')).toBe(true);
    expect(has(calls, 'systemctl', 'start', 'rollway.service')).toBe(true);
    expect(calls).toContainEqual([
      'aws',
      'ssm',
      'get-parameter',
      '--region',
      'eu-west-1',
      '--name',
      PARAM,
      '--query',
      'Parameter.Value',
      '--output',
      'text',
    ]);
    expect(host.composeRuns()).toEqual([
      { command: 'pull --quiet', images: `${REGISTRY}/rollway/worker:v1.4.2` },
      { command: 'up -d --wait', images: `${REGISTRY}/rollway/worker:v1.4.2` },
    ]);
    // The parameter is read before anything is pulled.
    const order = calls.map((c) => c.slice(0, 3).join(' '));
    expect(order.indexOf('aws ssm get-parameter')).toBeLessThan(
      order.indexOf('docker compose --project-directory'),
    );
    // No registry login for a registry that is not ECR.
    expect(calls.some((c) => c[0] === 'docker' && c[1] === 'login')).toBe(false);

    // The project on the host: compose.yaml verbatim, .env selecting the role and the version.
    expect(host.file('opt/rollway/compose.yaml')).toBe(withoutComments(readFileSync(COMPOSE_YAML, 'utf8')));
    expect(host.file('opt/rollway/.env')).toBe(
      `COMPOSE_PROFILES=worker\nIMAGE_REGISTRY=${REGISTRY}\nIMAGE_PREFIX=rollway/\nIMAGE_TAG=v1.4.2\n`,
    );
    const unit = host.file('etc/systemd/system/rollway.service');
    expect(unit).toContain(`ExecStart=${host.root}/opt/rollway/rollway-boot.sh start`);
    expect(unit).toContain(`ExecStop=${host.root}/opt/rollway/rollway-boot.sh stop`);
    expect(unit).toMatch(/^After=network-online\.target docker\.service$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(host.file('opt/rollway/rollway-boot.sh')).toBe(readFileSync(BOOT_SH, 'utf8'));
  });

  test('a reboot or a start of a stopped instance comes up on the version deployed last, not the first', () => {
    workerHost();
    host.setParameter(PARAM, 'v1');
    expect(host.boot(BASE).status).toBe(0);
    expect(host.composeRuns().map((c) => c.images)).toEqual([
      `${REGISTRY}/rollway/worker:v1`,
      `${REGISTRY}/rollway/worker:v1`,
    ]);

    // A deploy while the worker was stopped (idle self-stop) moved the parameter on.
    host.setParameter(PARAM, 'v2');
    const r = host.reboot(); // the unit's ExecStart, in the clean environment systemd gives it
    expect(r.stderr).toContain('worker v2 is up');
    expect(r.status).toBe(0);
    expect(host.composeRuns()).toEqual([
      { command: 'pull --quiet', images: `${REGISTRY}/rollway/worker:v2` },
      { command: 'up -d --wait', images: `${REGISTRY}/rollway/worker:v2` },
    ]);
    expect(host.file('opt/rollway/.env')).toContain('IMAGE_TAG=v2\n');
  });

  test('systemd accepts the unit it writes (systemd-analyze verify)', () => {
    workerHost();
    host.setParameter(PARAM, 'v1');
    expect(host.boot(BASE).status).toBe(0);
    const r = spawnSync('systemd-analyze', ['verify', `${host.root}/etc/systemd/system/rollway.service`], {
      encoding: 'utf8',
    });
    if (r.error) throw new Error(`systemd-analyze (package systemd) is needed: ${r.error.message}`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('the unit stops the containers at shutdown, so Docker does not restart the old version at boot', () => {
    workerHost();
    host.setParameter(PARAM, 'v1');
    expect(host.boot(BASE).status).toBe(0);
    host.clearCalls();
    const r = host.systemctl('stop'); // ExecStop, in a clean environment: the configuration is rollway.conf
    expect(r.status).toBe(0);
    expect(host.calls()).toEqual([
      ['systemctl', 'stop', 'rollway.service'],
      ['docker', 'compose', '--project-directory', `${host.root}/opt/rollway`, 'stop'],
    ]);
  });

  test('a missing parameter fails with a message naming it, and nothing is pulled or started', () => {
    workerHost();
    const r = host.boot(BASE);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      'ERROR: SSM parameter /rollway/prod/image-tag does not exist in eu-west-1 (create it: aws ssm put-parameter',
    );
    expect(host.composeRuns()).toEqual([]);
  });

  test('a parameter that is not an image tag is refused before it reaches a file or a command', () => {
    workerHost();
    host.setParameter(PARAM, 'v1; touch /tmp/pwned');
    const r = host.boot(BASE);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      "SSM parameter /rollway/prod/image-tag holds 'v1; touch /tmp/pwned', which is not an image tag",
    );
    expect(host.composeRuns()).toEqual([]);
    expect(existsSync(`${host.root}/opt/rollway/.env`)).toBe(false);
  });

  test.each([
    [{ HOST_ROLE: 'db' }, "HOST_ROLE: expected api, worker or worker-gpu, got 'db'"],
    [{ IMAGE_REGISTRY: 'r.example;id' }, 'IMAGE_REGISTRY: expected a registry host[:port]'],
    [{ IMAGE_REGISTRY: '' }, 'IMAGE_REGISTRY: expected a registry host[:port]'],
    [{ IMAGE_PREFIX: '$(id)' }, "IMAGE_PREFIX: expected a repository prefix like rollway/, got '$(id)'"],
    [{ VERSION_PARAMETER: 'a b' }, "VERSION_PARAMETER: expected an SSM parameter name, got 'a b'"],
    [{ AWS_REGION: 'eu-west-1 --debug' }, 'AWS_REGION: expected a region like eu-west-1'],
    [{ COMPOSE_SHA256: 'abc' }, 'COMPOSE_SHA256: expected 64 hex digits'],
  ])('bad configuration %j is refused with a message naming the variable', (vars, message) => {
    workerHost();
    host.setParameter(PARAM, 'v1');
    const r = host.boot({ ...BASE, ...vars });
    expect(r.stderr).toContain(message);
    expect(r.status).not.toBe(0);
    expect(host.calls()).toEqual([]);
  });

  test('without AWS_REGION the region comes from IMDSv2 (token first)', () => {
    workerHost({ tools: ['aws', 'docker', 'systemctl', 'curl', 'apt-get'] });
    host.setParameter(PARAM, 'v1');
    host.writeFile('../state/imds-region', 'ap-southeast-2');
    const r = host.boot({ IMAGE_REGISTRY: REGISTRY });
    expect(r.status).toBe(0);
    const calls = host.calls();
    const curls = calls.filter((c) => c[0] === 'curl');
    expect(curls[0]).toEqual(
      expect.arrayContaining(['-X', 'PUT', 'http://169.254.169.254/latest/api/token']),
    );
    expect(curls[1]).toEqual(
      expect.arrayContaining([
        'X-aws-ec2-metadata-token: fake-token',
        'http://169.254.169.254/latest/meta-data/placement/region',
      ]),
    );
    expect(calls.find((c) => c[0] === 'aws')).toEqual(expect.arrayContaining(['--region', 'ap-southeast-2']));
  });
});

describe('API hosts, ECR and the environment from SSM', () => {
  test('ECR without a credential helper: logs in with the password on stdin; the env file comes from a SecureString', () => {
    host = new FakeHost();
    host.setParameter(PARAM, 'abc123');
    const secretEnv = 'INTERNAL_WORKER_TOKEN=s3cret-s3cret-s3cret-s3cret-s3cret\nPORT=8080';
    host.setParameter('/rollway/api-env', secretEnv);
    const r = host.boot({
      ...BASE,
      IMAGE_REGISTRY: ECR,
      HOST_ROLE: 'api',
      ENV_PARAMETER: '/rollway/api-env',
    });
    expect(r.status).toBe(0);
    const calls = host.calls();
    // It tried to install the helper, then fell back to a login valid for this start.
    expect(calls).toContainEqual(
      expect.arrayContaining(['apt-get', 'install', 'amazon-ecr-credential-helper']),
    );
    expect(r.stderr).toContain('no ECR credential helper');
    expect(calls).toContainEqual(['aws', 'ecr', 'get-login-password', '--region', 'eu-west-1']);
    expect(calls).toContainEqual(['docker', 'login', '--username', 'AWS', '--password-stdin', ECR]);
    expect(calls).toContainEqual(['stdin', 'fake-ecr-token']); // never in argv
    expect(calls).toContainEqual([
      'aws',
      'ssm',
      'get-parameter',
      '--region',
      'eu-west-1',
      '--name',
      '/rollway/api-env',
      '--with-decryption',
      '--query',
      'Parameter.Value',
      '--output',
      'text',
    ]);
    expect(host.file('opt/rollway/api.env')).toBe(`${secretEnv}\n`);
    expect(statSync(`${host.root}/opt/rollway/api.env`).mode & 0o777).toBe(0o600);
    expect(host.composeRuns().map((c) => c.images)).toEqual([
      `${ECR}/rollway/api:abc123`,
      `${ECR}/rollway/api:abc123`,
    ]);
    expect(r.stderr).not.toContain('s3cret');
  });

  test('ECR with the credential helper: root’s docker config names it, no login (deploy pulls work after 12 h)', () => {
    workerHost();
    host.addNoop('docker-credential-ecr-login');
    host.setParameter(PARAM, 'v3');
    const r = host.boot({ ...BASE, IMAGE_REGISTRY: ECR, IMAGE_PREFIX: 'acme/rollway-' });
    expect(r.status).toBe(0);
    expect(JSON.parse(host.file('root/.docker/config.json'))).toEqual({
      credHelpers: { [ECR]: 'ecr-login' },
    });
    const calls = host.calls();
    expect(calls.some((c) => c[0] === 'docker' && c[1] === 'login')).toBe(false);
    expect(calls.some((c) => c[0] === 'apt-get')).toBe(false);
    expect(host.composeRuns().map((c) => c.images)).toEqual([
      `${ECR}/acme/rollway-worker:v3`,
      `${ECR}/acme/rollway-worker:v3`,
    ]);
  });

  test('a missing ENV_PARAMETER is named, nothing started', () => {
    host = new FakeHost();
    host.setParameter(PARAM, 'v1');
    const r = host.boot({ ...BASE, HOST_ROLE: 'api', ENV_PARAMETER: '/rollway/prod/api-env' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ERROR: SSM parameter /rollway/prod/api-env does not exist in eu-west-1\n');
    expect(host.composeRuns()).toEqual([]);
  });

  test('no env file and no ENV_PARAMETER: a clear error, nothing started', () => {
    host = new FakeHost();
    host.setParameter(PARAM, 'v1');
    const r = host.boot({ ...BASE, HOST_ROLE: 'api' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      `${host.root}/opt/rollway/api.env is missing: set ENV_PARAMETER or put the environment there`,
    );
    expect(host.composeRuns()).toEqual([]);
  });
});

describe('worker-gpu hosts', () => {
  test('without the NVIDIA Container Toolkit: refused with what to use instead', () => {
    workerHost();
    host.setParameter(PARAM, 'v1');
    const r = host.boot({ ...BASE, HOST_ROLE: 'worker-gpu' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('worker-gpu needs the NVIDIA driver and the NVIDIA Container Toolkit');
    expect(host.composeRuns()).toEqual([]);
  });

  test('with it: the worker-gpu image of the parameter’s version', () => {
    workerHost();
    host.addNoop('nvidia-container-runtime-hook');
    host.setParameter(PARAM, 'v1');
    const r = host.boot({ ...BASE, HOST_ROLE: 'worker-gpu' });
    expect(r.status).toBe(0);
    expect(host.composeRuns().map((c) => c.images)).toEqual([
      `${REGISTRY}/rollway/worker-gpu:v1`,
      `${REGISTRY}/rollway/worker-gpu:v1`,
    ]);
  });
});

describe('a host without Docker (Amazon Linux 2023: dnf, no Compose package)', () => {
  test('installs Docker with dnf and Compose v2 from the pinned GitHub release, checking its SHA256', () => {
    workerHost({ tools: ['aws', 'systemctl', 'curl', 'dnf'], hideSystem: true });
    host.setParameter(PARAM, 'v1');
    host.flag('no-compose');
    const url = 'https://github.com/docker/compose/releases/download/v2.29.7/docker-compose-linux-x86_64';
    const binary = '#!/bin/sh\necho compose\n';
    host.serve(url, binary);
    host.serve(
      `${url}.sha256`,
      `${createHash('sha256').update(binary).digest('hex')} *docker-compose-linux-x86_64\n`,
    );
    const r = host.boot(BASE);
    expect(r.stderr).toContain(`installing Docker Compose v2.29.7 from ${url}`);
    expect(r.status).toBe(0);
    const calls = host.calls();
    expect(calls).toContainEqual(['dnf', 'install', '-y', '-q', 'docker']);
    const plugin = `${host.root}/usr/local/lib/docker/cli-plugins/docker-compose`;
    expect(readFileSync(plugin, 'utf8')).toBe(binary);
    expect(statSync(plugin).mode & 0o777).toBe(0o755);
    expect(host.composeRuns().map((c) => c.images)).toEqual([
      `${REGISTRY}/rollway/worker:v1`,
      `${REGISTRY}/rollway/worker:v1`,
    ]);
  });

  test('a Compose download whose SHA256 does not match is not installed', () => {
    workerHost({ tools: ['aws', 'systemctl', 'curl', 'dnf'], hideSystem: true });
    host.setParameter(PARAM, 'v1');
    host.flag('no-compose');
    const url = 'https://github.com/docker/compose/releases/download/v2.29.7/docker-compose-linux-x86_64';
    host.serve(url, 'tampered');
    host.serve(`${url}.sha256`, `${'0'.repeat(64)} *docker-compose-linux-x86_64\n`);
    const r = host.boot(BASE);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${url}: SHA256 is not ${'0'.repeat(64)}`);
    expect(existsSync(`${host.root}/usr/local/lib/docker/cli-plugins/docker-compose`)).toBe(false);
    expect(host.composeRuns()).toEqual([]);
  });
});

describe('the script itself', () => {
  test('carries compose.yaml, without its comment lines (it writes it to the host)', () => {
    // After editing compose.yaml, re-embed it: see "Changing compose.yaml" in worker-images/deploy/README.md.
    const boot = readFileSync(BOOT_SH, 'utf8');
    const m = /cat <<'ROLLWAY_COMPOSE_YAML'\n([\s\S]*?)ROLLWAY_COMPOSE_YAML\n/.exec(boot);
    expect(m?.[1]).toBe(withoutComments(readFileSync(COMPOSE_YAML, 'utf8')));
    // Only comments are left out: the same document.
    expect(parse(m?.[1] ?? '')).toEqual(parse(readFileSync(COMPOSE_YAML, 'utf8')));
  });

  test('fits in EC2 user data (16 KB), with room to spare for a user’s edits', () => {
    expect(statSync(BOOT_SH).size).toBeLessThan(15 * 1024);
  });

  test('is shellcheck-clean', () => {
    const r = spawnSync('shellcheck', ['--severity=style', BOOT_SH, `${__dirnameOf()}/fake-host-tool.sh`], {
      encoding: 'utf8',
    });
    if (r.error) throw r.error;
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});

function __dirnameOf(): string {
  return new URL('.', import.meta.url).pathname.replace(/\/$/, '');
}
