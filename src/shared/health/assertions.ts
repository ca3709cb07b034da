/**
 * JSON body assertions, one per line:
 *   <path> == <value>     <path> != <value>     <path> exists     <path> matches <regex>
 * Paths are dotted with optional [index]: `checks.database`, `items[0].status`, `"a.b".c` for keys
 * with dots. Values compare as JSON when they parse as JSON (`true`, `3`, `null`, `"x"`), else as text;
 * a number on either side compares numerically, so `uptime == 3` matches 3 and 3.0.
 */
export type AssertionOp = '==' | '!=' | 'exists' | 'matches';

export interface JsonAssertion {
  readonly text: string;
  readonly path: readonly (string | number)[];
  readonly op: AssertionOp;
  readonly expected?: string;
  readonly regex?: RegExp;
}

export interface AssertionOutcome {
  readonly ok: boolean;
  /** What was found, in words: "`error`", "nothing at this path". */
  readonly got: string;
}

// A path is quoted keys and non-space characters, so a quoted key may hold spaces or " == ".
const PATH = String.raw`((?:"(?:[^"\\]|\\.)*"|[^"\s])+)`;
const LINE = new RegExp(String.raw`^${PATH}\s+(==|!=|matches)\s+(.*)$|^${PATH}\s+(exists)$`);

/** Parses one line; throws an Error that says what is wrong (the caller names the input). */
export function parseAssertion(line: string): JsonAssertion {
  const text = line.trim();
  const m = LINE.exec(text);
  if (!m)
    throw new Error(
      `"${text}" is not "<path> == <value>", "<path> != <value>", "<path> exists" or "<path> matches <regex>"`,
    );
  const rawPath = (m[1] ?? m[4])!.trim();
  const op = (m[2] ?? m[5]) as AssertionOp;
  const path = parsePath(rawPath);
  if (!path)
    throw new Error(`"${rawPath}" is not a JSON path like "status" or "checks.database" or "items[0].state"`);
  if (op === 'exists') return { text, path, op };
  const expected = unquote(m[3]!.trim());
  if (op === 'matches') {
    // `==` reads "x" as the string x; a double-quoted regex likewise (the quotes are not part of it).
    const source =
      expected.length >= 2 && expected.startsWith('"') && expected.endsWith('"')
        ? expected.slice(1, -1)
        : expected;
    try {
      return { text, path, op, expected: source, regex: new RegExp(source) };
    } catch (err) {
      throw new Error(
        `"${source}" in "${text}" is not a valid regular expression (${(err as Error).message})`,
      );
    }
  }
  return { text, path, op, expected };
}

function unquote(v: string): string {
  if (v.length >= 2 && ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith('`') && v.endsWith('`')))) {
    return v.slice(1, -1);
  }
  return v;
}

function parsePath(text: string): (string | number)[] | undefined {
  const out: (string | number)[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^.[\]"\s]+)|\[(\d+)\])\s*(\.|(?=\[)|$)/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m || re.lastIndex === pos) return undefined;
    if (m[1] !== undefined) out.push(m[1].replace(/\\(.)/g, '$1'));
    else if (m[2] !== undefined) out.push(m[2]);
    else out.push(Number(m[3]));
    pos = re.lastIndex;
    if (m[4] === '.' && pos >= text.length) return undefined;
  }
  return out.length ? out : undefined;
}

const MISSING = Symbol('missing');

function lookup(value: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return MISSING;
    if (typeof key === 'number') {
      if (!Array.isArray(cur) || key >= cur.length) return MISSING;
      cur = cur[key];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, key)) return MISSING;
      cur = (cur as Record<string, unknown>)[key];
    }
  }
  return cur;
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return `\`${s.length > 80 ? `${s.slice(0, 77)}...` : s}\``;
}

function equals(actual: unknown, expected: string): boolean {
  let parsed: unknown = expected;
  try {
    parsed = JSON.parse(expected);
  } catch {
    /* plain text */
  }
  if (typeof actual === 'number' && typeof parsed === 'number') return actual === parsed;
  if (typeof actual === 'string') return actual === (typeof parsed === 'string' ? parsed : expected);
  if (actual === null || typeof actual !== 'object')
    return JSON.stringify(actual) === JSON.stringify(parsed) || String(actual) === expected;
  return JSON.stringify(actual) === JSON.stringify(parsed);
}

export function evaluateAssertion(a: JsonAssertion, body: unknown): AssertionOutcome {
  const actual = lookup(body, a.path);
  if (actual === MISSING) return { ok: a.op === '!=', got: 'nothing at this path' };
  switch (a.op) {
    case 'exists':
      return { ok: true, got: show(actual) };
    case '==':
      return { ok: equals(actual, a.expected!), got: show(actual) };
    case '!=':
      return { ok: !equals(actual, a.expected!), got: show(actual) };
    case 'matches':
      return {
        ok: a.regex!.test(typeof actual === 'string' ? actual : JSON.stringify(actual)),
        got: show(actual),
      };
  }
}
