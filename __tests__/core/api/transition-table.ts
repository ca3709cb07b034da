/** The transition rules as a table: the unit tests run it against transition(), the database tests against the conditional UPDATEs. */
import type { JobEvent } from '../../../worker-images/core/src/contracts.js';
import type { JobProgress, Transition } from '../../../worker-images/core/src/api/transitions.js';

const at = '2026-01-01T00:00:00.000Z';
export const EVENTS = {
  processing1: { type: 'processing', at, attempt: 1 },
  processing2: { type: 'processing', at, attempt: 2 },
  progress0: { type: 'progress', at, percent: 0 },
  progress5: { type: 'progress', at, percent: 5 },
  progress10: { type: 'progress', at, percent: 10 },
  progress10_7: { type: 'progress', at, percent: 10.7 },
  progress50: { type: 'progress', at, percent: 50 },
  ready: {
    type: 'ready',
    at,
    masterKey: 'm',
    thumbnailKey: 't',
    durationSeconds: 12.5,
    renditions: ['720p', '480p'],
  },
  failed: { type: 'failed', at, reason: 'ffprobe: no video stream', permanent: true },
} satisfies Record<string, JobEvent>;

const S = (status: JobProgress['status'], percent = 0, attempt = 0): JobProgress => ({
  status,
  percent,
  attempt,
});
const applied = (next: JobProgress): Transition => ({ applied: true, next });
const ignored = (reason: 'terminal' | 'stale' | 'duplicate'): Transition => ({ applied: false, reason });

export const TRANSITION_TABLE: ReadonlyArray<[string, JobProgress, keyof typeof EVENTS, Transition]> = [
  ['queued + processing', S('queued'), 'processing1', applied(S('processing', 0, 1))],
  ['queued + progress (processing event lost)', S('queued'), 'progress10', applied(S('processing', 10, 0))],
  ['queued + progress 0', S('queued'), 'progress0', applied(S('processing', 0, 0))],
  ['queued + ready', S('queued'), 'ready', applied(S('ready', 100, 0))],
  ['queued + failed', S('queued'), 'failed', applied(S('failed', 0, 0))],
  ['processing + same attempt', S('processing', 10, 1), 'processing1', ignored('duplicate')],
  [
    'processing + next attempt keeps percent',
    S('processing', 40, 1),
    'processing2',
    applied(S('processing', 40, 2)),
  ],
  ['processing + older attempt', S('processing', 10, 2), 'processing1', ignored('stale')],
  ['processing + progress up', S('processing', 5, 1), 'progress10', applied(S('processing', 10, 1))],
  ['processing + progress down', S('processing', 10, 1), 'progress5', ignored('stale')],
  ['processing + same progress', S('processing', 10, 1), 'progress10', ignored('duplicate')],
  ['processing + fractional progress floors', S('processing', 10, 1), 'progress10_7', ignored('duplicate')],
  ['processing + ready', S('processing', 50, 1), 'ready', applied(S('ready', 100, 1))],
  ['processing + failed keeps percent', S('processing', 50, 1), 'failed', applied(S('failed', 50, 1))],
  ['ready + progress', S('ready', 100, 1), 'progress50', ignored('terminal')],
  ['ready + processing', S('ready', 100, 1), 'processing2', ignored('terminal')],
  ['ready + ready', S('ready', 100, 1), 'ready', ignored('duplicate')],
  ['ready + failed', S('ready', 100, 1), 'failed', ignored('terminal')],
  ['failed + processing (redelivery)', S('failed', 50, 1), 'processing2', ignored('terminal')],
  ['failed + progress', S('failed', 50, 1), 'progress50', ignored('terminal')],
  ['failed + ready', S('failed', 50, 1), 'ready', ignored('terminal')],
  ['failed + failed', S('failed', 50, 1), 'failed', ignored('duplicate')],
];
