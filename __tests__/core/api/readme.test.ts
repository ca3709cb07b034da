/**
 * The API README's environment table names exactly the variables the API reads: every name
 * parseApiConfig (or start.ts) reads from `env` is in the table, and the table names nothing else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const apiDir = join(process.cwd(), 'worker-images', 'core', 'src', 'api');

/** Names read from the environment: `env.NAME`, and the name argument of the env helpers. */
function namesRead(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
  const helper =
    /\b(?:optionalString|requiredString|integer|duration|httpUrl|boolean)\(\s*env,\s*'([A-Z][A-Z0-9_]+)'/g;
  for (const m of source.matchAll(helper)) names.add(m[1]!);
  // Names given as a list (the DB_* loop) or as the first argument of a ConfigError.
  for (const m of source.matchAll(/'((?:DB|R2|AWS)_[A-Z0-9_]+)'/g)) names.add(m[1]!);
  return names;
}

function namesDocumented(readme: string): Set<string> {
  const names = new Set<string>();
  for (const line of readme.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const first = line.split('|')[1]!;
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]!);
  }
  return names;
}

test('every variable the API reads is in the README table, and the table names no other', () => {
  const read = new Set([
    ...namesRead(readFileSync(join(apiDir, 'config.ts'), 'utf8')),
    ...namesRead(readFileSync(join(apiDir, 'start.ts'), 'utf8')),
  ]);
  const documented = namesDocumented(readFileSync(join(apiDir, 'README.md'), 'utf8'));
  expect([...read].filter((n) => !documented.has(n)).sort()).toEqual([]);
  expect([...documented].filter((n) => !read.has(n)).sort()).toEqual([]);
  expect(read.size).toBeGreaterThan(20);
});
