/**
 * Every action's metadata against its code: the inputs and outputs the code reads and writes are the
 * ones action.yml declares (and so the ones the README tables, generated from action.yml, document).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadActionMetadata, repoRoot } from '../tools/harness.mjs';

const actions = readdirSync(join(repoRoot, 'actions')).filter((a) =>
  existsSync(join(repoRoot, 'actions', a, 'action.yml')),
);

test('every action is listed in the top-level README', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  for (const a of actions) expect(readme).toContain(`actions/${a}/README.md`);
});

describe.each(actions)('actions/%s', (action) => {
  const { meta, main, post, postIf } = loadActionMetadata(action);

  test('runs on node24 from a committed bundle, with post-if always() when it has a post step', () => {
    expect(meta.runs.using).toBe('node24');
    expect(existsSync(main)).toBe(true);
    if (post) {
      expect(existsSync(post)).toBe(true);
      expect(postIf).toBe('always()');
    }
  });

  test('every input and output has a description; optional inputs have a default', () => {
    for (const [name, spec] of Object.entries(meta.inputs ?? {})) {
      expect([name, (spec.description ?? '').length > 10]).toEqual([name, true]);
      if (!spec.required) expect([name, spec.default !== undefined]).toEqual([name, true]);
    }
    for (const [name, spec] of Object.entries(meta.outputs ?? {})) {
      expect([name, (spec.description ?? '').length > 10]).toEqual([name, true]);
    }
  });

  test('the code reads exactly the declared inputs and writes the declared outputs', async () => {
    const mod = (await import(`../src/${action}/constants.js`)) as Record<string, Record<string, string>>;
    const inputs = mod.Inputs ?? mod.INPUTS ?? mod.Input;
    const outputs = mod.Outputs ?? mod.OUTPUTS ?? mod.Output;
    if (inputs) expect(Object.values(inputs).sort()).toEqual(Object.keys(meta.inputs ?? {}).sort());
    if (outputs) expect(Object.values(outputs).sort()).toEqual(Object.keys(meta.outputs ?? {}).sort());
  });
});
