import * as core from '@actions/core';
import { EC2Client } from '@aws-sdk/client-ec2';
import { readRawInputs, runAction, writeSummary } from '../shared/action.js';
import { awsClientConfig } from '../shared/aws.js';
import { systemClock } from '../shared/clock.js';
import { formatDuration } from '../shared/duration.js';
import { coreLogger } from '../shared/logger.js';
import { gitHubRun, runUrl, stepNonce, type GitHubRun } from '../shared/run.js';
import { AwsTime, SKEW_WARN_MS, watchAwsTime } from './aws-time.js';
import { INPUT_NAMES, Output, StateKey } from './constants.js';
import { Ec2SecurityGroups } from './ec2.js';
import type { Config } from './inputs.js';
import { parseConfig } from './inputs.js';
import { detectIp } from './ip.js';
import { openAll, sweepAll } from './open.js';
import type { Cidr, Family, RunContext } from './plan.js';
import { desiredRules, describeRule, ownerTag } from './plan.js';
import { encodeState, newState } from './state.js';
import { summaryMarkdown } from './summary.js';

export async function run(): Promise<void> {
  await runAction(async () => {
    const config = parseConfig(readRawInputs(INPUT_NAMES));
    const aws = awsClientConfig(config.region);
    const client = new EC2Client(aws);
    const awsTime = new AwsTime(systemClock, reportSkew);
    watchAwsTime(client, awsTime);
    const api = new Ec2SecurityGroups(client);
    const deps = { api, log: coreLogger, clock: awsTime };

    if (config.mode === 'sweep') {
      const results = await sweepAll(config.groupIds, deps);
      const swept = results.reduce((n, r) => n + r.swept.length, 0);
      core.info(`Swept ${swept} expired rules from ${results.length} groups`);
      core.setOutput(Output.Swept, String(swept));
      core.setOutput(Output.Adopted, '0');
      await writeSummary(summaryMarkdown('sweep', [], results), config.summary);
      return;
    }

    const cidrs = config.ip ?? (await detect(config));
    const ctx = runContext(gitHubRun());
    const desired = desiredRules(config.protocol, config.ports, cidrs);
    core.info(`Wanted in ${config.groupIds.join(', ')}: ${desired.map(describeRule).join('; ')}`);
    core.info(`Rules expire (for the sweep) after ${formatDuration(config.ttlMs)}, in AWS time`);
    core.info(`Owner tag of this step: ${ctx.owner}`);

    const state = newState(aws.region, ctx.owner);
    const results = await openAll(
      {
        groupIds: config.groupIds,
        desired,
        description: config.description || defaultDescription(gitHubRun()),
        ttlMs: config.ttlMs,
        sweep: config.sweep,
      },
      ctx,
      state,
      { ...deps, save: (s) => core.saveState(StateKey.Rules, encodeState(s)) },
    );

    const owned = Object.fromEntries(results.map((r) => [r.groupId, r.opened.map((o) => o.id)]));
    core.setOutput(Output.Ip, cidrs.map((c) => c.text).join(','));
    core.setOutput(Output.RuleIds, Object.values(owned).flat().join(','));
    core.setOutput(Output.RuleIdsJson, JSON.stringify(owned));
    core.setOutput(Output.Adopted, String(results.reduce((n, r) => n + r.adopted.length, 0)));
    core.setOutput(Output.Swept, String(results.reduce((n, r) => n + r.swept.length, 0)));
    await writeSummary(summaryMarkdown('open', cidrs, results), config.summary);
  });
}

async function detect(config: Config): Promise<Cidr[]> {
  const families: Family[] = config.ipVersion === 'both' ? [4, 6] : config.ipVersion === 'ipv6' ? [6] : [4];
  const out: Cidr[] = [];
  for (const family of families) {
    const started = Date.now();
    const { cidr, provider } = await detectIp({
      providers: family === 4 ? config.providers.v4 : config.providers.v6,
      family,
      timeoutMs: config.ipTimeoutMs,
      log: coreLogger,
    });
    core.info(
      `Public IPv${family} address: ${cidr.text} (from ${provider} in ${formatDuration(Date.now() - started)})`,
    );
    out.push(cidr);
  }
  return out;
}

/**
 * The identity of this step execution. The owner tag adds a random nonce to run id, attempt and
 * job (which every matrix leg shares); it goes into the saved state, so post closes exactly the
 * rules this step created.
 */
export function runContext(run: GitHubRun, nonce: string = stepNonce()): RunContext {
  return {
    owner: ownerTag(run, nonce),
    runUrl: runUrl(run),
    runId: run.runId,
    runAttempt: run.runAttempt,
    job: run.job,
  };
}

export function defaultDescription(run: Pick<GitHubRun, 'repository' | 'runId'>): string {
  const repo = run.repository.replace(/[^a-zA-Z0-9._\-/]/g, '');
  const id = run.runId.replace(/\D/g, '');
  return `rollway dynamic-sg${repo ? ` ${repo}` : ''}${id ? ` run ${id}` : ''}`.slice(0, 255);
}

/** Says how far the runner clock is from AWS's (the first EC2 answer's Date header). */
function reportSkew(offsetMs: number): void {
  const size = formatDuration(Math.abs(offsetMs));
  const where = offsetMs > 0 ? `behind AWS` : `ahead of AWS`;
  const text =
    `The runner clock is ${size} ${where} (Date header of EC2's answer): ` +
    `rule expiry tags and the sweep use AWS time`;
  if (Math.abs(offsetMs) >= SKEW_WARN_MS) core.warning(`${text}. Check the runner's time sync (NTP).`);
  else core.info(text);
}
