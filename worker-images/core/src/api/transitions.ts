/**
 * How a worker event moves a job. Jobs only move forward: queued → processing → ready | failed;
 * percent only grows; ready and failed are final. A stale or duplicate event is answered but changes
 * nothing. Pure: the database applies the same rules with conditional UPDATEs (jobs.ts), and the
 * integration tests run this table against both.
 */
import type { JobEvent, JobStatus } from '../contracts.js';

export interface JobProgress {
  readonly status: JobStatus;
  readonly percent: number;
  readonly attempt: number;
}

export type IgnoredReason = 'terminal' | 'stale' | 'duplicate';

export type Transition =
  | { readonly applied: true; readonly next: JobProgress }
  | { readonly applied: false; readonly reason: IgnoredReason };

export const TERMINAL: readonly JobStatus[] = ['ready', 'failed'];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.includes(status);
}

export function transition(state: JobProgress, event: JobEvent): Transition {
  if (isTerminal(state.status)) {
    return { applied: false, reason: state.status === event.type ? 'duplicate' : 'terminal' };
  }
  switch (event.type) {
    case 'processing':
      if (state.status === 'queued' || event.attempt > state.attempt) {
        return {
          applied: true,
          next: {
            status: 'processing',
            percent: state.percent,
            attempt: Math.max(state.attempt, event.attempt),
          },
        };
      }
      return { applied: false, reason: event.attempt === state.attempt ? 'duplicate' : 'stale' };
    case 'progress': {
      const percent = Math.floor(event.percent);
      // Progress implies processing, even when the 'processing' event was lost.
      if (state.status === 'queued' || percent > state.percent) {
        return {
          applied: true,
          next: { status: 'processing', percent: Math.max(state.percent, percent), attempt: state.attempt },
        };
      }
      return { applied: false, reason: percent === state.percent ? 'duplicate' : 'stale' };
    }
    case 'ready':
      return { applied: true, next: { status: 'ready', percent: 100, attempt: state.attempt } };
    case 'failed':
      return { applied: true, next: { status: 'failed', percent: state.percent, attempt: state.attempt } };
  }
}
