/**
 * "Full jitter" backoff: a random delay in [0, min(cap, base·2^n)] (AWS Architecture Blog), for the few
 * non-AWS retries (IP providers, registry pushes, HAProxy runtime-API writes). AWS calls never retry here:
 * the SDK's retry strategy is their one layer (`awsCall` in aws.ts).
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
) {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
