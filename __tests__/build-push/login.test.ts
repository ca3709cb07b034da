import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';

const secrets: string[] = [];
jest.unstable_mockModule('@actions/core', () => ({ setSecret: (s: string) => secrets.push(s) }));
const { ecrRegion, login, registryHost } = await import('../../src/build-push/login.js');
import type { DockerCli, DockerRunOptions } from '../../src/build-push/docker.js';

class RecordingDocker implements DockerCli {
  readonly calls: { args: readonly string[]; input?: string }[] = [];
  constructor(private readonly exitCode = 0) {}
  async run(args: readonly string[], o: DockerRunOptions = {}) {
    this.calls.push({ args, input: o.input });
    return {
      exitCode: this.exitCode,
      output: '',
      stderr: this.exitCode ? 'Error response from daemon: unauthorized' : '',
    };
  }
}

const ecr = mockClient(ECRClient);
beforeEach(() => {
  ecr.reset();
  secrets.length = 0;
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
});

test.each([
  ['ghcr.io/acme/api', 'ghcr.io'],
  ['127.0.0.1:5000/sample', '127.0.0.1:5000'],
  ['localhost/sample', 'localhost'],
  ['acme/api', 'docker.io'],
  ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/api', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
])('registryHost(%s) = %s', (image, host) => {
  expect(registryHost(image)).toBe(host);
});

test('ecrRegion recognises ECR hosts only', () => {
  expect(ecrRegion('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toBe('eu-west-1');
  expect(ecrRegion('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com')).toBe('us-gov-west-1');
  expect(ecrRegion('ghcr.io')).toBeUndefined();
});

test('an ECR image logs in with a token from the credential chain, masked, over stdin', async () => {
  const token = Buffer.from('AWS:eyJwYXlsb2FkIjoiZWNyLXBhc3N3b3JkIn0=').toString('base64');
  ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: token }] });
  const docker = new RecordingDocker();
  const host = await login(docker, {
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api',
    registry: '',
    username: '',
    password: '',
  });
  expect(host).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
  expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
  expect(secrets).toEqual([token, 'eyJwYXlsb2FkIjoiZWNyLXBhc3N3b3JkIn0=']);
  expect(docker.calls).toEqual([
    {
      args: [
        'login',
        '--username',
        'AWS',
        '--password-stdin',
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      ],
      input: 'eyJwYXlsb2FkIjoiZWNyLXBhc3N3b3JkIn0=',
    },
  ]);
});

test('ECR access denied names the call, the registry and the code', async () => {
  ecr
    .on(GetAuthorizationTokenCommand)
    .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
  await expect(
    login(new RecordingDocker(), {
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api',
      registry: '',
      username: '',
      password: '',
    }),
  ).rejects.toThrow(
    'GetAuthorizationToken on 123456789012.dkr.ecr.eu-west-1.amazonaws.com: AccessDeniedException — not authorized',
  );
});

test('no credentials: no login (an earlier docker/login-action step stands)', async () => {
  const docker = new RecordingDocker();
  expect(
    await login(docker, { image: 'ghcr.io/acme/api', registry: '', username: '', password: '' }),
  ).toBeUndefined();
  expect(docker.calls).toEqual([]);
});

test('a refused login fails with the registry named', async () => {
  await expect(
    login(new RecordingDocker(1), {
      image: 'ghcr.io/acme/api',
      registry: '',
      username: 'bot',
      password: 'x'.repeat(20),
    }),
  ).rejects.toThrow('docker login ghcr.io failed: Error response from daemon: unauthorized');
});
