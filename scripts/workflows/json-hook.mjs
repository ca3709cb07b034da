/**
 * @actions/workflow-parser imports its JSON schemas without `with { type: 'json' }`, which Node 20 refuses
 * (ERR_IMPORT_ASSERTION_TYPE_MISSING). Registered before the parser is imported, this load hook serves any
 * .json module as JSON. (Node ≥ 22 and Jest accept such imports as they are.)
 */
import { register } from 'node:module';

const hook = `
import { readFile } from 'node:fs/promises';
export async function load(url, context, next) {
  if (url.startsWith('file:') && url.endsWith('.json')) {
    return { format: 'json', source: await readFile(new URL(url), 'utf8'), shortCircuit: true };
  }
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
