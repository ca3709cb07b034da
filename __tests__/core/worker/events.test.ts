/** API events (retries, order, best effort vs final), message parsing and log formatting. */
import { ApiClient, JobEvents } from '../../../worker-images/core/src/worker/api.js';
import { formatLine } from '../../../worker-images/core/src/worker/log.js';
import { MemoryLogger } from './fakes.js';
import { InvalidMessageError, parseJobMessage } from '../../../worker-images/core/src/worker/message.js';
import type { FakeApi } from './fakes.js';
import { FakeClock, startFakeApi } from './fakes.js';

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.events.length = 0;
  api.requests.length = 0;
});

const client = (clock = new FakeClock()) =>
  new ApiClient({
    baseUrl: api.url,
    token: 'good-token',
    retry: { attempts: 3, baseMs: 500, maxMs: 10_000 },
    clock,
  });
const at = '2026-01-01T00:00:00.000Z';

describe('ApiClient.postEvent', () => {
  it('POSTs the JSON event with the bearer token, retrying 5xx and 429', async () => {
    api.failNext(503, 429);
    const clock = new FakeClock();
    await client(clock).postEvent('job/1', { type: 'progress', at, percent: 50 });
    expect(api.requests.map((r) => [r.method, r.url, r.auth])).toEqual([
      ['POST', '/internal/v1/jobs/job%2F1/events', 'Bearer good-token'],
      ['POST', '/internal/v1/jobs/job%2F1/events', 'Bearer good-token'],
      ['POST', '/internal/v1/jobs/job%2F1/events', 'Bearer good-token'],
    ]);
    expect(api.events).toEqual([
      {
        jobId: 'job/1',
        auth: 'Bearer good-token',
        event: { type: 'progress', at, percent: 50 },
        atMs: expect.any(Number),
      },
    ]);
    expect(clock.sleeps).toHaveLength(2);
  });

  it('does not retry other 4xx', async () => {
    api.failNext(400);
    await expect(client().postEvent('j', { type: 'progress', at, percent: 1 })).rejects.toThrow(/HTTP 400/);
    expect(api.requests).toHaveLength(1);
  });

  it('retries connection failures, then gives up', async () => {
    const c = new ApiClient({
      baseUrl: 'http://127.0.0.1:9',
      token: 't',
      retry: { attempts: 3, baseMs: 1, maxMs: 1 },
      clock: new FakeClock(),
    });
    let calls = 0;
    const counting = new ApiClient({
      baseUrl: 'http://127.0.0.1:9',
      token: 't',
      retry: { attempts: 3, baseMs: 1, maxMs: 1 },
      clock: new FakeClock(),
      fetch: (...args) => {
        calls++;
        return fetch(...args);
      },
    });
    await expect(c.postEvent('j', { type: 'progress', at, percent: 1 })).rejects.toThrow(
      /POST http:\/\/127\.0\.0\.1:9/,
    );
    await expect(counting.postEvent('j', { type: 'progress', at, percent: 1 })).rejects.toThrow();
    expect(calls).toBe(3);
  });
});

describe('JobEvents', () => {
  it('keeps order, swallows best-effort failures and surfaces final ones', async () => {
    const log = new MemoryLogger();
    const events = new JobEvents(client(), 'j1', log, { job_id: 'j1' });
    api.failNext(400); // the first progress is rejected: logged, not thrown
    events.bestEffort({ type: 'processing', at, attempt: 1 });
    events.bestEffort({ type: 'progress', at, percent: 10 });
    await events.final({
      type: 'ready',
      at,
      masterKey: 'm',
      thumbnailKey: 't',
      durationSeconds: 1,
      renditions: [],
    });
    expect(api.events.map((e) => e.event.type)).toEqual(['progress', 'ready']);
    const failed = log.find('API_EVENT_FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(
      /^API_EVENT_FAILED \| job_id=j1 \| event=processing \| error=".*HTTP 400" \| level=warn$/,
    );
    api.failNext(404);
    await expect(events.final({ type: 'failed', at, reason: 'x', permanent: true })).rejects.toThrow(
      /HTTP 404/,
    );
    await events.drain();
  });
});

describe('parseJobMessage', () => {
  const good = {
    version: 1,
    jobId: 'job_1-a',
    source: { bucket: 'b', key: 'k/x.mp4' },
    requestId: 'r',
    enqueuedAt: at,
  };
  it('accepts the contract', () => {
    expect(parseJobMessage(JSON.stringify({ ...good, extra: true }))).toEqual(good);
  });
  it.each([
    ['not json', /not JSON/],
    ['[]', /not a JSON object/],
    [JSON.stringify({ ...good, version: 2 }), /version 2/],
    [JSON.stringify({ ...good, jobId: '../x' }), /jobId/],
    [JSON.stringify({ ...good, jobId: 'a/b' }), /jobId/],
    [JSON.stringify({ ...good, source: { bucket: 'b' } }), /source/],
    [JSON.stringify({ ...good, requestId: 1 }), /requestId/],
  ])('rejects %s', (body, msg) => {
    expect(() => parseJobMessage(body)).toThrow(InvalidMessageError);
    expect(() => parseJobMessage(body)).toThrow(msg);
  });
});

describe('formatLine', () => {
  it('writes EVENT | key=value, quoting what would break grep', () => {
    expect(
      formatLine('SQS_JOB_FAILED', {
        request_id: 'r-1',
        job_id: 'j',
        reason: 'no video | stream',
        skip: undefined,
        n: 1.5,
      }),
    ).toBe('SQS_JOB_FAILED | request_id=r-1 | job_id=j | reason="no video | stream" | n=1.5');
  });
});
