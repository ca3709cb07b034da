import {
  ConfigError,
  describeConfig,
  parseConfig,
  parseQueueSpecs,
} from '../../../worker-images/core/src/worker/config.js';

const base = {
  VIDEO_SQS_QUEUE_NAME: 'videos',
  AWS_REGION: 'eu-west-1',
  R2_VIDEO_BUCKET: 'media',
  API_BASE_URL: 'https://api.example.com/',
  INTERNAL_WORKER_TOKEN: 'secret-token',
};

function errorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('parseConfig did not throw');
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const c = parseConfig(base);
    expect(c.queues).toEqual([{ ref: 'videos', weight: 1 }]);
    expect(c.waitTimeSeconds).toBe(20);
    expect(c.visibilityTimeoutSeconds).toBe(90);
    expect(c.heartbeatIntervalMs).toBe(30_000);
    expect(c.uploadConcurrency).toBe(4);
    expect(c.retry).toEqual({ attempts: 5, baseMs: 500, maxMs: 10_000 });
    expect(c.idleStopThreshold).toBe(0);
    expect(c.ffmpegBin).toBe('ffmpeg');
    expect(c.ffprobeBin).toBe('ffprobe');
    expect(c.api.baseUrl).toBe('https://api.example.com');
    expect(c.gpu).toBe(false);
    // S3 mode: no endpoint, the AWS region, the default credential chain.
    expect(c.storage).toEqual({ region: 'eu-west-1', bucket: 'media' });
  });

  it('switches to R2 when R2_ENDPOINT is set', () => {
    const c = parseConfig({
      ...base,
      R2_ENDPOINT: 'https://acct.r2.cloudflarestorage.com',
      R2_ACCESS_KEY: 'ak',
      R2_SECRET_KEY: 'sk',
      R2_PUBLIC_BASE_URL: 'https://cdn.example.com/',
    });
    expect(c.storage).toEqual({
      endpoint: 'https://acct.r2.cloudflarestorage.com',
      region: 'auto',
      credentials: { accessKeyId: 'ak', secretAccessKey: 'sk' },
      bucket: 'media',
      publicBaseUrl: 'https://cdn.example.com',
    });
  });

  it('reads every tunable', () => {
    const c = parseConfig({
      ...base,
      SQS_WAIT_TIME_SECONDS: '5',
      SQS_VISIBILITY_TIMEOUT_SECONDS: '60',
      SQS_HEARTBEAT_INTERVAL_SECONDS: '0.5',
      UPLOAD_MAX_CONCURRENCY: '8',
      RETRY_MAX_ATTEMPTS: '3',
      BACKOFF_BASE_SECONDS: '0.25',
      BACKOFF_CAP_SECONDS: '4',
      JOB_RETRY_BASE_SECONDS: '10',
      JOB_RETRY_CAP_SECONDS: '120',
      PROGRESS_INTERVAL_SECONDS: '2',
      EC2_IDLE_STOP_THRESHOLD: '15',
      FFMPEG_BIN: '/opt/ffmpeg',
      VIDEO_WORKER_TEMP_DIR: '/scratch',
      VIDEO_WORKER_GPU: 'true',
    });
    expect(c).toMatchObject({
      waitTimeSeconds: 5,
      visibilityTimeoutSeconds: 60,
      heartbeatIntervalMs: 500,
      uploadConcurrency: 8,
      retry: { attempts: 3, baseMs: 250, maxMs: 4000 },
      jobRetryBaseMs: 10_000,
      jobRetryCapMs: 120_000,
      progressIntervalMs: 2000,
      idleStopThreshold: 15,
      ffmpegBin: '/opt/ffmpeg',
      tempDir: '/scratch',
      gpu: true,
    });
  });

  it.each([
    [{ VIDEO_SQS_QUEUE_NAME: undefined }, 'VIDEO_SQS_QUEUE_NAME'],
    [{ AWS_REGION: '' }, 'AWS_REGION'],
    [{ R2_VIDEO_BUCKET: undefined }, 'R2_VIDEO_BUCKET'],
    [{ API_BASE_URL: 'api.example.com' }, 'API_BASE_URL'],
    [{ API_BASE_URL: 'ftp://api' }, 'API_BASE_URL'],
    [{ INTERNAL_WORKER_TOKEN: ' ' }, 'INTERNAL_WORKER_TOKEN'],
    [{ SQS_WAIT_TIME_SECONDS: '21' }, 'SQS_WAIT_TIME_SECONDS'],
    [{ SQS_WAIT_TIME_SECONDS: '2.5' }, 'SQS_WAIT_TIME_SECONDS'],
    [{ UPLOAD_MAX_CONCURRENCY: '0' }, 'UPLOAD_MAX_CONCURRENCY'],
    [{ UPLOAD_MAX_CONCURRENCY: 'four' }, 'UPLOAD_MAX_CONCURRENCY'],
    [{ RETRY_MAX_ATTEMPTS: '-1' }, 'RETRY_MAX_ATTEMPTS'],
    [{ BACKOFF_BASE_SECONDS: '2', BACKOFF_CAP_SECONDS: '1' }, 'BACKOFF_CAP_SECONDS'],
    [
      { SQS_VISIBILITY_TIMEOUT_SECONDS: '30', SQS_HEARTBEAT_INTERVAL_SECONDS: '30' },
      'SQS_HEARTBEAT_INTERVAL_SECONDS',
    ],
    [{ EC2_IDLE_STOP_THRESHOLD: '1e3' }, 'EC2_IDLE_STOP_THRESHOLD'],
    [{ VIDEO_WORKER_GPU: 'maybe' }, 'VIDEO_WORKER_GPU'],
    [{ R2_ENDPOINT: 'https://r2', R2_ACCESS_KEY: 'ak' }, 'R2_SECRET_KEY'],
    [{ R2_ENDPOINT: 'https://r2' }, 'R2_ACCESS_KEY'],
    [{ R2_ENDPOINT: 'not a url', R2_ACCESS_KEY: 'a', R2_SECRET_KEY: 'b' }, 'R2_ENDPOINT'],
  ])('rejects %j naming %s', (override, variable) => {
    const err = errorOf({ ...base, ...override });
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`${variable}: expected `)).toBe(true);
  });

  it('says what was given', () => {
    expect(errorOf({ ...base, SQS_WAIT_TIME_SECONDS: '30' }).message).toBe(
      'SQS_WAIT_TIME_SECONDS: expected an integer from 0 to 20, got "30"',
    );
  });

  it('keeps secrets out of the description', () => {
    const d = JSON.stringify(
      describeConfig(
        parseConfig({ ...base, R2_ENDPOINT: 'https://r2', R2_ACCESS_KEY: 'ak', R2_SECRET_KEY: 'sk-1' }),
      ),
    );
    expect(d).not.toContain('secret-token');
    expect(d).not.toContain('sk-1');
  });
});

describe('parseQueueSpecs', () => {
  it('parses weighted lists, names and URLs', () => {
    expect(parseQueueSpecs('basic:3,lite:1')).toEqual([
      { ref: 'basic', weight: 3 },
      { ref: 'lite', weight: 1 },
    ]);
    expect(parseQueueSpecs(' jobs.fifo ')).toEqual([{ ref: 'jobs.fifo', weight: 1 }]);
    expect(parseQueueSpecs('https://sqs.eu-west-1.amazonaws.com/123456789012/basic:2,lite')).toEqual([
      { ref: 'https://sqs.eu-west-1.amazonaws.com/123456789012/basic', weight: 2 },
      { ref: 'lite', weight: 1 },
    ]);
  });

  it.each(['', 'basic:0', 'basic:101', 'basic:x', 'a b', 'basic,,lite', 'basic,basic:2'])(
    'rejects %j',
    (v) => {
      expect(() => parseQueueSpecs(v)).toThrow(/^VIDEO_SQS_QUEUE_NAME: expected a queue name or URL/);
    },
  );
});
