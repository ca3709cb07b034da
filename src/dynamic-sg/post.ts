import * as core from '@actions/core';
import { EC2Client } from '@aws-sdk/client-ec2';
import { awsClientConfig } from '../shared/aws.js';
import { errorMessage } from '../shared/errors.js';
import { coreLogger } from '../shared/logger.js';
import { closeAll, manualCommands } from './close.js';
import { StateKey } from './constants.js';
import { Ec2SecurityGroups } from './ec2.js';
import { decodeState, hasWork } from './state.js';

/**
 * Closes what main opened, by rule id from the saved state (never re-detecting the IP). Idempotent:
 * rules already gone count as closed. Problems are warnings: the post step never fails the job.
 */
export async function run(): Promise<void> {
  try {
    const raw = core.getState(StateKey.Rules);
    const state = decodeState(raw);
    if (!state) {
      if (raw) core.warning(`dynamic-sg: unreadable saved state; nothing revoked: ${raw.slice(0, 200)}`);
      else core.info('dynamic-sg: main saved no rules; nothing to close');
      return;
    }
    if (!hasWork(state)) {
      core.info('dynamic-sg: no rules to close (this run created none)');
      return;
    }
    const api = new Ec2SecurityGroups(new EC2Client(awsClientConfig(state.region)));
    const report = await closeAll(state, api, coreLogger);
    const done = report.revoked.length + report.gone.length;
    core.info(`dynamic-sg: closed ${done} rule(s) (${report.gone.length} were already gone)`);
    if (report.failed.length || report.unresolved.length) {
      const problems = [
        ...report.failed.map((f) => `${f.id} in ${f.groupId}: ${f.error}`),
        ...report.unresolved.map((u) => `rules of ${u.groupId}: ${u.error}`),
      ];
      core.warning(
        `dynamic-sg could not close every rule (they expire for the sweep at their rollway:expires-at tag):\n` +
          `${problems.join('\n')}\nTo remove them by hand:\n${manualCommands(state.region, report, state.owner).join('\n')}`,
      );
    }
  } catch (err) {
    core.warning(`dynamic-sg cleanup failed: ${errorMessage(err)}`);
  }
}
