import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import { EC2Client } from '@aws-sdk/client-ec2';
import { readRawInputs, runAction, writeSummary } from '../shared/action.js';
import { awsClientConfig } from '../shared/aws.js';
import { systemClock } from '../shared/clock.js';
import { formatDuration } from '../shared/duration.js';
import { coreLogger } from '../shared/logger.js';
import { INPUT_NAMES, Output, StateKey } from './constants.js';
import { Ec2SecurityGroups } from './ec2.js';
import type { Config } from './inputs.js';
import { parseConfig } from './inputs.js';
import { detectIp } from './ip.js';
import { openAll, sweepAll } from './open.js';
import type { Cidr, Family, RunContext } from './plan.js';
import { desiredRules, describeRule } from './plan.js';
import { encodeState, newState } from './state.js';
import { summaryMarkdown } from './summary.js';

export async function run(): Promise<void> {
  await runAction(async () => {
    const config = parseConfig(readRawInputs(INPUT_NAMES));
    const aws = awsClientConfig(config.region);
    const api = new Ec2SecurityGroups(new EC2Client(aws), { onRetry: (m) => core.info(m) });
    const deps = { api, log: coreLogger, clock: systemClock };

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
    const ctx = runContext(process.env);
    const desired = desiredRules(config.protocol, config.ports, cidrs);
    core.info(`Wanted in ${config.groupIds.join(', ')}: ${desired.map(describeRule).join('; ')}`);
    core.info(`Rules expire (for the sweep) after ${formatDuration(config.ttlMs)}`);

    const state = newState(aws.region, ctx.owner);
    const results = await openAll(
      {
        groupIds: config.groupIds,
        desired,
        description: config.description || defaultDescription(process.env),
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

export function runContext(env: NodeJS.ProcessEnv): RunContext {
  const server = env.GITHUB_SERVER_URL || 'https://github.com';
  const runId = env.GITHUB_RUN_ID ?? '';
  const repo = env.GITHUB_REPOSITORY ?? '';
  return {
    owner: randomUUID(),
    runUrl: repo && runId ? `${server}/${repo}/actions/runs/${runId}` : '',
    runId,
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '',
  };
}

export function defaultDescription(env: NodeJS.ProcessEnv): string {
  const repo = (env.GITHUB_REPOSITORY ?? '').replace(/[^a-zA-Z0-9._\-/]/g, '');
  const run = (env.GITHUB_RUN_ID ?? '').replace(/\D/g, '');
  return `rollway dynamic-sg${repo ? ` ${repo}` : ''}${run ? ` run ${run}` : ''}`.slice(0, 255);
}
