import type { GateTarget } from '../shared/health/gate.js';
import type { HttpMode } from './inputs.js';
import { displayUrl, probe } from '../shared/health/probe.js';

/** One gate target per URL, sharing the mode's request options. */
export function httpTargets(mode: HttpMode): GateTarget[] {
  return mode.urls.map((url) => ({
    name: displayUrl(url),
    check: (timeoutMs, signal) =>
      probe(
        {
          url,
          method: mode.method,
          headers: mode.headers,
          hostHeader: mode.hostHeader,
          connectTo: mode.connectTo,
          insecure: mode.insecure,
          expectedStatus: mode.expectedStatus,
          bodyContains: mode.bodyContains,
          assertions: mode.assertions,
        },
        timeoutMs,
        signal,
      ),
  }));
}
