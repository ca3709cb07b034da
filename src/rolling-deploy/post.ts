import * as core from '@actions/core';
import { readRawInputs } from '../shared/action.js';
import { resolveRegion } from '../shared/aws.js';
import { errorMessage } from '../shared/errors.js';
import { createAdapters } from './adapters.js';
import { Inputs, State } from './constants.js';
import { parseConfig } from './inputs.js';

function ids(name: string): string[] {
  try {
    const v = JSON.parse(core.getState(name) || '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Runs after main whatever happened to it (post-if: always()), even when it was killed: puts back every
 * target main took out and did not restore, and releases the lock main held. Warns, never fails.
 */
export async function run(): Promise<void> {
  const detached = ids(State.Detached);
  const quarantined = ids(State.Quarantined);
  const owner = core.getState(State.LockOwner);
  if (!detached.length && !owner && !quarantined.length) {
    core.info('Nothing to clean up: every target is where main left it and no lock is held');
    return;
  }
  try {
    const config = parseConfig(readRawInputs(Object.values(Inputs)), resolveRegion);
    let routes: Record<string, unknown> = {};
    try {
      routes = JSON.parse(core.getState(State.Routes) || '{}') as Record<string, unknown>;
    } catch {
      /* older state: the router re-discovers what it can */
    }
    const { router, lock, lockResource } = await createAdapters(config, routes);
    if (detached.length) {
      const targets = new Map((await router.listTargets()).map((t) => [t.id, t]));
      for (const id of detached) {
        const t = targets.get(id);
        if (!t) {
          core.warning(`${id} is no longer behind ${router.name}; nothing to put back`);
          continue;
        }
        try {
          await router.attach(t);
          core.info(`${id}: put back into ${router.name} (main did not finish)`);
        } catch (err) {
          core.warning(
            `${id}: could not put it back into ${router.name}: ${errorMessage(err)} — do it by hand`,
          );
        }
      }
    }
    for (const id of quarantined) {
      core.warning(
        `${id} was left out of ${router.name} on purpose: its deploy failed and could not be rolled back`,
      );
    }
    if (owner) {
      await lock.release(owner);
      core.info(`Lock on ${lockResource} released`);
    }
  } catch (err) {
    core.warning(`Clean-up after rolling-deploy did not complete: ${errorMessage(err)}`);
  }
}
