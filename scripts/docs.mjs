#!/usr/bin/env node
// Keeps each actions/<name>/README.md's input and output tables in step with its action.yml.
// The tables live between <!-- inputs:start --> / <!-- inputs:end --> (and outputs) markers.
// node scripts/docs.mjs          rewrite the tables
// node scripts/docs.mjs --check  fail if any README is out of date
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadActionMetadata, repoRoot } from '../tools/harness.mjs';

const check = process.argv.includes('--check');
const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ')
    .trim();

function tables(meta) {
  const inputs = Object.entries(meta.inputs ?? {}).map(
    ([name, s]) =>
      `| \`${name}\` | ${s.required ? 'yes' : 'no'} | ${s.default === undefined || s.default === '' ? '' : `\`${cell(s.default)}\``} | ${cell(s.description)} |`,
  );
  const outputs = Object.entries(meta.outputs ?? {}).map(
    ([name, s]) => `| \`${name}\` | ${cell(s.description)} |`,
  );
  return {
    inputs: ['| input | required | default | description |', '| --- | --- | --- | --- |', ...inputs].join(
      '\n',
    ),
    outputs: ['| output | description |', '| --- | --- |', ...outputs].join('\n'),
  };
}

let stale = 0;
for (const action of readdirSync(join(repoRoot, 'actions'))) {
  const readme = join(repoRoot, 'actions', action, 'README.md');
  if (!existsSync(join(repoRoot, 'actions', action, 'action.yml'))) continue;
  if (!existsSync(readme)) {
    console.error(`actions/${action}/README.md is missing`);
    stale++;
    continue;
  }
  const before = readFileSync(readme, 'utf8');
  let after = before;
  for (const [key, body] of Object.entries(tables(loadActionMetadata(action).meta))) {
    const re = new RegExp(`(<!-- ${key}:start -->\\n)[\\s\\S]*?(<!-- ${key}:end -->)`);
    if (!re.test(after)) {
      console.error(`actions/${action}/README.md has no <!-- ${key}:start --> ... <!-- ${key}:end --> block`);
      stale++;
      continue;
    }
    after = after.replace(re, `$1${body}\n$2`);
  }
  if (after !== before) {
    if (check) {
      console.error(`actions/${action}/README.md does not match action.yml — run "node scripts/docs.mjs"`);
      stale++;
    } else {
      writeFileSync(readme, after);
      console.log(`updated actions/${action}/README.md`);
    }
  }
}
if (stale) process.exit(1);
