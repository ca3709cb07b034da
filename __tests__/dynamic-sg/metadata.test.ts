import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadActionMetadata, repoRoot } from '../../tools/harness.mjs';
import { INPUT_NAMES, Output } from '../../src/dynamic-sg/constants.js';

const { meta } = loadActionMetadata('dynamic-sg');
const inputs = meta.inputs ?? {};
const outputs = meta.outputs ?? {};
const readme = readFileSync(join(repoRoot, 'actions', 'dynamic-sg', 'README.md'), 'utf8');

test('action.yml declares exactly the inputs and outputs the code reads and writes', () => {
  expect(Object.keys(inputs).sort()).toEqual([...INPUT_NAMES].sort());
  expect(Object.keys(outputs).sort()).toEqual(Object.values(Output).sort());
});

test('every input has a description and a default; runs main and post with post-if always()', () => {
  for (const [name, spec] of Object.entries(inputs)) {
    expect([name, typeof spec.description]).toEqual([name, 'string']);
    expect([name, typeof spec.default]).toEqual([name, 'string']);
  }
  expect(meta.runs).toEqual({
    using: 'node24',
    main: '../../dist/dynamic-sg/index.js',
    post: '../../dist/dynamic-sg-post/index.js',
    'post-if': 'always()',
  });
  expect(meta.branding).toBeDefined();
});

test('the README documents every input (with its default) and every output', () => {
  for (const [name, spec] of Object.entries(inputs)) {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    expect([name, row]).toEqual([name, expect.any(String)]);
    if (spec.default) expect(row).toContain(`| \`${spec.default}\` |`);
  }
  for (const name of Object.values(Output)) expect(readme).toContain(`| \`${name}\` |`);
});
