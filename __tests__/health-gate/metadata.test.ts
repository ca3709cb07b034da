/** actions/health-gate/action.yml, the constants the code reads, and the README agree. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadActionMetadata, repoRoot } from '../../tools/harness.mjs';
import { Inputs, Outputs } from '../../src/health-gate/constants.js';

const { meta, main } = loadActionMetadata('health-gate');
const inputs = meta.inputs ?? {};
const outputs = meta.outputs ?? {};
const declaredInputs = Object.keys(inputs);
const declaredOutputs = Object.keys(outputs);

describe('actions/health-gate/action.yml', () => {
  it('declares exactly the inputs in constants.ts', () => {
    expect([...declaredInputs].sort()).toEqual(Object.values(Inputs).sort());
  });

  it('declares exactly the outputs in constants.ts', () => {
    expect([...declaredOutputs].sort()).toEqual(Object.values(Outputs).sort());
  });

  it('runs on node24 from the committed bundle', () => {
    expect(meta.runs.using).toBe('node24');
    expect(main).toBe(join(repoRoot, 'dist', 'health-gate', 'index.js'));
    expect(meta.runs.post).toBeUndefined();
  });

  it('describes every input and output, and gives every input a string default', () => {
    for (const [name, spec] of Object.entries(inputs)) {
      expect({
        name,
        description: typeof spec.description === 'string' && spec.description.trim().length > 10,
      }).toEqual({
        name,
        description: true,
      });
      // The runner passes defaults as strings; a YAML number/boolean default would be a surprise.
      expect({ name, default: typeof spec.default }).toEqual({ name, default: 'string' });
      // `required` is not enforced by the runner; the code validates instead.
      expect({ name, required: spec.required ?? false }).toEqual({ name, required: false });
    }
    for (const [name, spec] of Object.entries(outputs)) {
      expect({ name, described: (spec.description ?? '').trim().length > 10 }).toEqual({
        name,
        described: true,
      });
    }
  });

  it('gives every boolean input a boolean default (getBooleanInput-style parsing needs one)', () => {
    for (const name of [Inputs.Insecure, Inputs.FailOnUnhealthy, Inputs.Summary]) {
      expect(['true', 'false']).toContain(inputs[name]?.default);
    }
  });

  it('has branding', () => {
    expect(meta.branding).toEqual({ icon: expect.any(String), color: expect.any(String) });
  });
});

describe('actions/health-gate/README.md', () => {
  const readme = readFileSync(join(repoRoot, 'actions', 'health-gate', 'README.md'), 'utf8');
  const block = (key: string) => {
    const m = new RegExp(`<!-- ${key}:start -->\\n([\\s\\S]*?)<!-- ${key}:end -->`).exec(readme);
    expect(m).not.toBeNull();
    return [...m![1]!.matchAll(/^\| `([^`]+)` \|/gm)].map((x) => x[1]!);
  };

  it('lists every input of action.yml, in order', () => {
    expect(block('inputs')).toEqual(declaredInputs);
  });

  it('lists every output of action.yml, in order', () => {
    expect(block('outputs')).toEqual(declaredOutputs);
  });

  it('shows defaults as action.yml has them', () => {
    for (const [name, spec] of Object.entries(inputs)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${name}\` |`))!;
      const cells = row.split(' | ');
      expect({ name, default: cells[2] }).toEqual({
        name,
        default: spec.default ? `\`${spec.default}\`` : '',
      });
    }
  });
});
