import { run } from '../health-gate/main.js';

// The step ends with its verdict: a retry backoff the AWS SDK left pending (a call abandoned at the
// deadline) must not hold it open past `timeout`. The exit code is the one run() set.
void run().then(() => process.exit());
