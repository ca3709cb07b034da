import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuilderError } from '../../src/build-push/errors.js';
import { builderErrorLine, DETAIL_LINES, isTransientPushError } from '../../src/build-push/errors.js';

const FIXTURES = join(process.cwd(), '__tests__/build-push/__fixtures__/builder-output');
const output = (name: string) => readFileSync(join(FIXTURES, `${name}.txt`), 'utf8');

describe('builderErrorLine', () => {
  it.each<[string, { dockerfile?: string }, BuilderError]>([
    [
      'buildx-run-failed',
      { dockerfile: 'Dockerfile' },
      {
        message: 'failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1',
        step: '[build 4/6] RUN npm ci',
        details: [
          'npm ERR! ERESOLVE unable to resolve dependency tree',
          'npm ERR!',
          'npm ERR! While resolving: api@1.4.0',
          'npm ERR! Found: react@18.3.1',
          'npm ERR! A complete log of this run can be found in: /root/.npm/_logs/2024-06-03T14_22_41_123Z-debug-0.log',
        ],
        location: { file: 'Dockerfile', line: 12 },
      },
    ],
    [
      'buildx-copy-not-found',
      { dockerfile: './docker/api.Dockerfile' },
      {
        message:
          'failed to solve: failed to compute cache key: failed to calculate checksum of ref 6d3e0f6a-84ab-4a8b-9f53-2f2c5b1a9e11::q0x9l3v2mfk7w8jx1n4c: "/package-lock.json": not found',
        step: '[build 3/5] COPY package-lock.json ./',
        details: [],
        location: { file: 'docker/api.Dockerfile', line: 8 },
      },
    ],
    [
      'buildx-base-image-not-found',
      {},
      {
        message:
          'failed to solve: node:20-alpinee: failed to resolve source metadata for docker.io/library/node:20-alpinee: docker.io/library/node:20-alpinee: not found',
        step: '[internal] load metadata for docker.io/library/node:20-alpinee',
        details: [],
        location: { file: 'Dockerfile', line: 1 },
      },
    ],
    [
      'buildx-tty',
      {},
      {
        message: 'failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1',
        step: '[build 4/6] RUN npm ci',
        details: [],
        location: undefined,
      },
    ],
    [
      'buildx-push-503',
      {},
      {
        message: expect.stringMatching(
          /^failed to solve: failed to push ghcr\.io\/acme\/api:sha-d6fde92: .*503 Service Unavailable$/,
        ) as unknown as string,
        step: 'exporting to image',
        details: [],
        location: undefined,
      },
    ],
    [
      'classic-run-failed',
      {},
      {
        message: "The command '/bin/sh -c npm ci' returned a non-zero code: 1",
        step: 'Step 4/6 : RUN npm ci',
        details: [
          'npm ERR! code ERESOLVE',
          'npm ERR! ERESOLVE unable to resolve dependency tree',
          'ERROR: Could not resolve dependency: peer react@"^17" from legacy-ui@2.1.0',
          'npm ERR! A complete log of this run can be found in: /root/.npm/_logs/2024-06-03T14_22_41_123Z-debug-0.log',
        ],
        location: undefined,
      },
    ],
    [
      'classic-copy-failed',
      {},
      {
        message:
          'COPY failed: file not found in build context or excluded by .dockerignore: stat package-lock.json: file does not exist',
        step: 'Step 3/5 : COPY package-lock.json ./',
        details: [],
        location: undefined,
      },
    ],
    [
      'classic-parse-error',
      { dockerfile: 'services/api/Dockerfile' },
      {
        message: 'dockerfile parse error on line 5: unknown instruction: RUNN',
        step: undefined,
        details: [],
        location: { file: 'services/api/Dockerfile', line: 5 },
      },
    ],
  ])('%s', (name, o, expected) => {
    expect(builderErrorLine(output(name), o)).toEqual(expected);
  });

  it('never answers with the trailing "Learn more" / "View build details" lines', () => {
    for (const name of ['buildx-run-failed', 'buildx-copy-not-found']) {
      const e = builderErrorLine(output(name))!;
      expect(e.message).not.toMatch(/Learn more|View build details/);
    }
  });

  it('reads output with colours and CRLF line ends', () => {
    const esc = String.fromCharCode(27);
    const text = output('buildx-run-failed')
      .replace(/^ERROR: /m, `${esc}[31mERROR: `)
      .replace(/\n/g, '\r\n');
    expect(builderErrorLine(text)).toMatchObject({
      message: expect.stringMatching(/^failed to solve: process/),
      location: { file: 'Dockerfile', line: 12 },
    });
  });

  it(`keeps the last ${DETAIL_LINES} lines of a long step log`, () => {
    const log = Array.from({ length: 50 }, (_, i) => `${(i / 10).toFixed(3)} line ${i}`);
    const text = [
      '------',
      ' > [build 5/6] RUN npm test:',
      ...log,
      '------',
      'ERROR: failed to solve: exit code: 1',
    ];
    const e = builderErrorLine(text.join('\n'))!;
    expect(e.details).toHaveLength(DETAIL_LINES);
    expect(e.details.at(-1)).toBe('line 49');
  });

  it('falls back to the last meaningful line, and to undefined on noise only', () => {
    expect(
      builderErrorLine(
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
      ),
    ).toEqual({
      message:
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      details: [],
    });
    expect(builderErrorLine('\nLearn more at https://docs.docker.com/go/build-summary/\n')).toBeUndefined();
    expect(builderErrorLine('')).toBeUndefined();
  });
});

describe('isTransientPushError', () => {
  it.each([
    'toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
    'error parsing HTTP 429 response body: unexpected end of JSON input: ""',
    'received unexpected HTTP status: 500 Internal Server Error',
    'unexpected status from PUT request to https://ghcr.io/v2/acme/api/manifests/main: 502 Bad Gateway',
    'received unexpected HTTP status: 503 Service Unavailable',
    'unexpected status: 504 Gateway Timeout',
    'write tcp 10.1.0.4:43210->140.82.113.34:443: write: connection reset by peer',
    'dial tcp: lookup ghcr.io on 127.0.0.53:53: read udp 127.0.0.1:41000->127.0.0.53:53: i/o timeout',
    'Get "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/": net/http: TLS handshake timeout',
    'Put "https://ghcr.io/v2/acme/api/blobs/uploads/abc": EOF',
    'failed commit on ref "layer-sha256:5b2f": unexpected EOF',
    'Get "https://registry-1.docker.io/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
    'blob upload unknown: blob upload unknown to registry',
    'failed to copy: failed to do request: Put "https://ghcr.io/v2/acme/api/blobs/upload/x": cannot reuse body, request must be retried',
    output('buildx-push-503'),
  ])('transient: %s', (text) => {
    expect(isTransientPushError(text)).toBe(true);
  });

  it.each([
    'denied: requested access to the resource is denied',
    'unauthorized: authentication required',
    'error from registry: unauthorized: unauthenticated: User cannot be authenticated with the token provided.',
    "name unknown: The repository with name 'api' does not exist in the registry with id '123456789012'",
    'manifest invalid: manifest invalid',
    "tag invalid: The image tag 'buildcache' already exists in the 'api' repository and cannot be overwritten because the repository is immutable.",
    // auth wins even when a 5xx is mentioned in the same error
    'unexpected status from POST request: 503 Service Unavailable; then: denied: permission_denied: write_package',
    output('buildx-run-failed'),
    output('classic-copy-failed'),
    'Error response from daemon: dockerfile parse error on line 5: unknown instruction: RUNN',
  ])('not transient: %s', (text) => {
    expect(isTransientPushError(text)).toBe(false);
  });

  it('reads only the error lines of a log, not timestamps or step output', () => {
    // "5.502" is a timestamp and the RUN step printed "EOF": neither is the error.
    const log = [
      '#9 5.502 pushing layers',
      '#9 5.600 reached EOF of input file',
      'ERROR: failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2',
    ].join('\n');
    expect(isTransientPushError(log)).toBe(false);
    expect(isTransientPushError('#9 5.502 pushing layers\n#9 DONE 5.6s')).toBe(false);
  });
});
