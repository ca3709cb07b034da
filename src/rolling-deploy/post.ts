/**
 * Runs after main whatever happened to it (post-if: always()), even when it was killed outright. From
 * the saved state alone (never the inputs): stops deploy scripts main left running on this machine, puts
 * back every target main took out and did not restore — directly when its deploy never started, only
 * after it passes the health gate when it did — and releases the lock main held. Warns, never fails.
 */
import * as core from '@actions/core';
import { errorMessage } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { urlSecrets } from '../shared/health/url.js';
import { createRouter, createStores, runIdentity } from './adapters.js';
import { Inputs, State } from './constants.js';
import { directGate, healthFromSaved } from './gate.js';
import type { SavedState } from './state.js';
import { decodeState, hasWork } from './state.js';
import type { Router, Target } from './types.js';

/** Whether any process of the group still exists (signal 0 probes without signalling). */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops a deploy script's process group: SIGTERM, up to `graceMs` to exit, then SIGKILL. Resolves
 * whether it was running.
 */
export async function stopGroup(pgid: number, graceMs = 5000, clock: Clock = systemClock): Promise<boolean> {
  if (pgid <= 1 || !groupExists(pgid)) return false;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return false;
  }
  const until = clock.now() + graceMs;
  while (groupExists(pgid) && clock.now() < until) await clock.sleep(50);
  if (groupExists(pgid)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  return true;
}

async function stopScripts(state: SavedState): Promise<void> {
  for (const [id, pgid] of Object.entries(state.running)) {
    if (await stopGroup(pgid))
      core.info(`${id}: stopped the deploy main left running (process group ${pgid})`);
  }
  const commands = Object.entries(state.ssm?.commands ?? {});
  if (!commands.length) return;
  const [{ SSMClient }, { cancelSsmCommand }, { awsClientConfig }] = await Promise.all([
    import('@aws-sdk/client-ssm'),
    import('./executors/ssm.js'),
    import('../shared/aws.js'),
  ]);
  const client = new SSMClient(awsClientConfig(state.ssm!.region));
  for (const [id, commandId] of commands) {
    try {
      await cancelSsmCommand(client, id, commandId, Date.now() + 30_000);
      core.info(`${id}: cancelled the SSM command main left running (${commandId})`);
    } catch (err) {
      core.warning(
        `${id}: could not cancel SSM command ${commandId}: ${errorMessage(err)}; it runs until its execution timeout`,
      );
    }
  }
}

async function restore(state: SavedState, router: Router): Promise<void> {
  const ids = Object.keys(state.detached);
  if (!ids.length) return;
  const targets = new Map((await router.listTargets()).map((t) => [t.id, t]));
  // A health-url with credentials is saved without them: post reads them from its input again.
  const healthUrl = state.health?.urlHasSecrets ? core.getInput(Inputs.HealthUrl) : '';
  for (const secret of urlSecrets(healthUrl)) core.setSecret(secret);
  const health = healthFromSaved(state.health, healthUrl);
  if (state.health && !health) {
    core.warning(
      `The saved health check no longer parses${state.health.urlHasSecrets ? ' (or health-url differs from the one main used)' : ''}: targets whose deploy was interrupted are not put back`,
    );
  }
  const gate = health ? directGate(health) : undefined;
  for (const id of ids) {
    const t: Target | undefined = targets.get(id);
    if (!t) {
      core.warning(`${id} is no longer behind ${router.name}; nothing to put back`);
      continue;
    }
    try {
      if (state.detached[id]!.touched) {
        // Its deploy had started: the old version may be gone, the new one half there.
        if (!gate) {
          if (router.kind === 'alb') {
            // A registered target gets no traffic until it passes the target group's health checks.
            await router.attach(t);
            core.info(
              `${id}: registered again after its interrupted deploy, with no health-url: the target group's own health checks keep traffic away until it passes them`,
            );
          } else {
            core.warning(
              `${id}: left out of ${router.name}: its deploy was interrupted and there is no health-url to check it with; put it back by hand once it serves`,
            );
          }
          continue;
        }
        const g = await gate(t, new AbortController().signal);
        if (!g.healthy) {
          core.warning(
            `${id}: not healthy after its interrupted deploy (${g.reason}); left out of ${router.name} — put it back by hand once it serves`,
          );
          continue;
        }
        await router.attach(t);
        core.info(`${id}: healthy after its interrupted deploy; put back into ${router.name}`);
      } else {
        await router.attach(t);
        core.info(`${id}: put back into ${router.name} (main did not finish)`);
      }
    } catch (err) {
      core.warning(`${id}: could not put it back into ${router.name}: ${errorMessage(err)} — do it by hand`);
    }
  }
}

/** version-parameter: main set it and did not finish: put the value from before the run back. */
async function restoreParameter(saved: NonNullable<SavedState['versionParameter']>): Promise<void> {
  const { VersionParameter } = await import('./version-parameter.js');
  try {
    await new VersionParameter({ name: saved.name, region: saved.region }).write(saved.previous);
    core.info(`version-parameter ${saved.name} put back to ${saved.previous} (main did not finish)`);
  } catch (err) {
    core.warning(
      `Could not put version-parameter ${saved.name} back to ${saved.previous}: ${errorMessage(err)} — do it by hand`,
    );
  }
}

export async function run(): Promise<void> {
  const raw = core.getState(State.Saved);
  const state = decodeState(raw);
  if (!state) {
    if (raw) core.warning(`rolling-deploy: unreadable saved state; nothing touched: ${raw.slice(0, 200)}`);
    else core.info('Nothing to clean up: main saved no state');
    return;
  }
  if (!hasWork(state)) {
    core.info('Nothing to clean up: every target is where main left it and no lock is held');
    return;
  }
  try {
    await stopScripts(state);
    // Never throws: the targets and the lock are handled whatever happens to it.
    if (state.versionParameter) await restoreParameter(state.versionParameter);
    const memos = Object.fromEntries(
      Object.entries(state.detached)
        .filter(([, d]) => d.route !== undefined)
        .map(([id, d]) => [id, d.route]),
    );
    if (Object.keys(state.detached).length || state.quarantined.length) {
      const { router } = await createRouter(state.router, Object.keys(state.detached), memos);
      await restore(state, router);
      for (const id of state.quarantined) {
        core.warning(
          `${id} was left out of ${router.name} on purpose: its deploy failed and could not be rolled back`,
        );
      }
    }
    if (state.lock) {
      const { lock, lockResource } = await createStores(state.router, state.fleetDir, runIdentity().runUrl);
      await lock.release(state.lock.owner);
      core.info(`Lock on ${lockResource} released`);
    }
  } catch (err) {
    core.warning(`Clean-up after rolling-deploy did not complete: ${errorMessage(err)}`);
  }
}
