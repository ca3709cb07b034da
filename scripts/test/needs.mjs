/**
 * What a test file needs beyond the system packages every run installs: said in its header comment,
 * e.g. ` * @needs docker` (names separated by commas; words after them are an explanation). The sequencer reads it for the selected files (so the global set-up starts
 * only what the run needs) and runs such files last (so a set-up started in the background overlaps
 * with the other suites).
 */
import { readFileSync } from 'node:fs';

/** Every need a test file may declare, and what provides it. */
export const KNOWN_NEEDS = {
  docker:
    'the Docker engine, the registry on 127.0.0.1:5000 and the stand-in base images (scripts/docker/setup.sh)',
};

/** The needs declared in `source`'s leading comment block. Throws on an unknown one (a typo would skip nothing but start nothing either). */
export function parseNeeds(source, file = 'the test file') {
  const header = /^(?:#![^\n]*\n)?\s*\/\*\*?([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  const needs = new Set();
  // `@needs docker`, `@needs a, b`; anything after the names (an explanation in parentheses) is prose.
  for (const m of header.matchAll(/@needs[ \t]+([a-z][\w-]*(?:[ \t]*,[ \t]*[a-z][\w-]*)*)/g)) {
    for (const need of m[1].split(/[\s,]+/).filter(Boolean)) {
      if (!Object.hasOwn(KNOWN_NEEDS, need)) {
        throw new Error(`${file}: unknown @needs "${need}" (known: ${Object.keys(KNOWN_NEEDS).join(', ')})`);
      }
      needs.add(need);
    }
  }
  return needs;
}

export function needsOf(file) {
  return parseNeeds(readFileSync(file, 'utf8'), file);
}

/** The test files as the run will see them, recorded by the sequencer for the global set-up. */
const SELECTED = Symbol.for('rollway.selectedTestFiles');

export function recordSelectedTests(paths) {
  globalThis[SELECTED] = [...paths];
}

/** The selected test files, or undefined when no sequencer of ours ran (then assume everything is needed). */
export function selectedTests() {
  return globalThis[SELECTED];
}

/** The union of the needs of `paths`; every known need when the selection is unknown. */
export function needsOfAll(paths) {
  if (!paths) return new Set(Object.keys(KNOWN_NEEDS));
  const all = new Set();
  for (const p of paths) for (const n of needsOf(p)) all.add(n);
  return all;
}
