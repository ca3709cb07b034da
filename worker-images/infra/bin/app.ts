/**
 * The CDK app: one stack per environment, `Rollway-<env>`, configured from context only
 * (`-c env=prod -c githubRepo=owner/repo -c vpcId=vpc-... -c loadBalancerArn=arn:...`; see README).
 */
import { App } from 'aws-cdk-lib';
import { ContextError, readConfig } from '../lib/config.js';
import { RollwayStack } from '../lib/stack.js';

const app = new App();
let config;
try {
  config = readConfig((key) => app.node.tryGetContext(key));
} catch (err) {
  if (!(err instanceof ContextError)) throw err;
  console.error(`rollway infra: ${err.message}`);
  process.exit(1);
}
// Explicit -c account/-c region win; else what the CDK CLI found in the credentials (deploy);
// else an environment-agnostic stack (offline synth).
const account = config.account ?? process.env.CDK_DEFAULT_ACCOUNT;
const region = config.region ?? process.env.CDK_DEFAULT_REGION;
new RollwayStack(app, `Rollway-${config.env}`, {
  config,
  description: `Rollway ${config.env}: queues, storage, image version, target group, alarms and roles of the processing core`,
  ...(account !== undefined || region !== undefined ? { env: { account, region } } : {}),
});
app.synth();
