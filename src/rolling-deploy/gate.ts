/**
 * The direct health check of one target before it gets traffic back (health-gate's own loop and probe),
 * used by main after each deploy and by the post step before it puts back a target whose deploy was
 * interrupted. Post rebuilds it from the saved state, not from the inputs.
 */
import * as core from '@actions/core';
import { parseAssertion } from '../shared/health/assertions.js';
import { runGate } from '../shared/health/gate.js';
import { probe } from '../shared/health/probe.js';
import { parseStatusMatcher } from '../shared/health/status.js';
import { redactUrlText, urlSecrets } from '../shared/health/url.js';
import type { HealthConfig } from './inputs.js';
import type { TargetGate } from './orchestrator.js';
import { renderTemplate } from './plan.js';
import type { SavedHealth } from './state.js';
import type { Target } from './types.js';

export function directGate(h: HealthConfig): TargetGate {
  return async (t: Target, signal: AbortSignal) => {
    const url = new URL(renderTemplate(h.urlTemplate, t));
    const r = await runGate(
      [
        {
          name: url.href,
          check: (timeoutMs, s) =>
            probe(
              {
                url,
                method: 'GET',
                headers: {},
                insecure: true,
                expectedStatus: h.expectedStatus,
                assertions: h.assertions,
              },
              timeoutMs,
              s,
            ),
        },
      ],
      {
        threshold: h.threshold,
        intervalMs: h.intervalMs,
        attemptTimeoutMs: Math.min(5000, h.timeoutMs),
        timeoutMs: h.timeoutMs,
        signal,
        onAttempt: (e) => core.debug(`${t.id} health ${e.status ?? e.kind} ${e.latencyMs}ms ${e.reason}`),
      },
    );
    return { healthy: r.healthy, reason: r.reason };
  };
}

/** What post needs of the health config, as plain data. */
export function savedHealth(h: HealthConfig | undefined): SavedHealth | undefined {
  if (!h) return undefined;
  const hasSecrets = urlSecrets(h.urlTemplate).length > 0;
  return {
    urlTemplate: hasSecrets ? redactUrlText(h.urlTemplate) : h.urlTemplate,
    ...(hasSecrets ? { urlHasSecrets: true } : {}),
    expectedStatus: h.expectedStatus.text,
    threshold: h.threshold,
    intervalMs: h.intervalMs,
    timeoutMs: h.timeoutMs,
    assertions: h.assertions.map((a) => a.text),
  };
}

/**
 * The health config back from the saved state; undefined when it no longer parses. A URL saved without
 * its credentials takes them back from `healthUrlInput` (the post step's own `health-url` input), and
 * only when that input is the very URL main saved, credentials aside.
 */
export function healthFromSaved(s: SavedHealth | undefined, healthUrlInput = ''): HealthConfig | undefined {
  if (!s) return undefined;
  const expectedStatus = parseStatusMatcher(s.expectedStatus);
  if (!expectedStatus) return undefined;
  const input = healthUrlInput.trim();
  if (s.urlHasSecrets && redactUrlText(input) !== s.urlTemplate) return undefined;
  try {
    return {
      urlTemplate: s.urlHasSecrets ? input : s.urlTemplate,
      expectedStatus,
      threshold: s.threshold,
      intervalMs: s.intervalMs,
      timeoutMs: s.timeoutMs,
      assertions: s.assertions.map((a) => parseAssertion(a)),
    };
  } catch {
    return undefined;
  }
}
