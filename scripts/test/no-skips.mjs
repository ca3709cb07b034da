/**
 * A Jest reporter that fails the run when any test was skipped or left as a todo: `npm test` must run
 * every test (the global set-up provides what they need; a test that skips itself hides a broken set-up).
 * A run narrowed with -t/--testNamePattern skips the others on purpose and is not checked.
 */
import { relative } from 'node:path';

const SKIPPED = new Set(['pending', 'skipped', 'todo', 'disabled']);

export default class NoSkipsReporter {
  /**
   * @param {{ testNamePattern?: string, rootDir?: string }} globalConfig
   * @param {{ write?: (text: string) => void }} [options] where the list of skipped tests goes (stderr)
   */
  constructor(globalConfig, options = {}) {
    this.globalConfig = globalConfig;
    this.write = options.write ?? ((text) => process.stderr.write(text));
    /** @type {Error | undefined} */
    this.error = undefined;
  }

  /** @param {unknown} _contexts @param {{ testResults: { testFilePath: string, testResults: { status: string, fullName: string }[] }[] }} results */
  onRunComplete(_contexts, results) {
    this.error = undefined;
    if (this.globalConfig.testNamePattern) return;
    const root = this.globalConfig.rootDir ?? process.cwd();
    const skipped = [];
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (SKIPPED.has(t.status))
          skipped.push(`  ${relative(root, file.testFilePath)}: ${t.fullName} (${t.status})`);
      }
    }
    if (skipped.length === 0) return;
    const message =
      `${skipped.length} test(s) did not run; npm test must run every test ` +
      `(the global set-up, scripts/test/setup.mjs, provides what they need):\n${skipped.join('\n')}`;
    this.error = new Error(message);
    this.write(`\n${message}\n`);
  }

  getLastError() {
    return this.error;
  }
}
