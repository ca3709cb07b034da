/**
 * Reading builder output: the real error (not the trailing "Learn more at …" line build-push-action
 * reports), the step that failed, its last output lines and the Dockerfile line; and whether a push
 * failure is worth another try. Pure: text in, data out.
 */

export interface BuilderError {
  /** The error itself, e.g. `failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1`. */
  readonly message: string;
  /** The step that failed: `[build 4/6] RUN npm ci` (buildx) or `Step 4/6 : RUN npm ci` (classic). */
  readonly step?: string;
  /** The failing step's last output lines (at most DETAIL_LINES), timestamps removed. */
  readonly details: string[];
  /** For an annotation; `file` is the `dockerfile` option when the builder printed its base name. */
  readonly location?: { readonly file: string; readonly line: number };
}

export const DETAIL_LINES = 20;

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
const NOISE = [
  /^Learn more at /i,
  /^View build details:/i,
  /^See '.*--help'/,
  /^Run '.*--help'/,
  /^For more information/i,
  /^https?:\/\/\S+$/,
  /^DEPRECATED: /,
  /^Install the buildx component/,
];

/**
 * Finds the error in the output of `docker buildx build` (plain or tty progress) or the classic
 * `docker build`. Pass the interleaved output for the classic builder: its steps go to stdout.
 * Undefined when the output holds nothing but noise.
 */
export function builderErrorLine(output: string, o: { dockerfile?: string } = {}): BuilderError | undefined {
  const lines = output.split(/\r?\n/).map((l) => l.replace(ANSI, '').replace(/\s+$/, ''));
  // Whichever builder's error comes last: a RUN step of the classic builder may print "ERROR: …" itself.
  const buildx = findLast(lines, (l) => /^(?:ERROR|error):\s*\S/.test(l));
  const classic = findLast(lines, (l) => CLASSIC_ERRORS.some((re) => re.test(l)));
  if (buildx >= 0 && buildx > classic) return buildxError(lines, buildx, o.dockerfile);
  if (classic >= 0) return classicError(lines, classic, o.dockerfile);
  return lastLine(lines);
}

function buildxError(lines: string[], end: number, dockerfile?: string): BuilderError {
  const message = lines[end]!.replace(/^(?:ERROR|error):\s*/, '').replace(/^failed to build:\s*/, '');

  let step: string | undefined;
  let details: string[] = [];
  // The step's log block:   ------ / " > [build 4/6] RUN npm ci:" / output lines / ------
  const block = findLast(lines, (l) => /^ > .+/.test(l), end);
  if (block >= 0) {
    step = lines[block]!.slice(3).replace(/:$/, '');
    const body: string[] = [];
    for (let i = block + 1; i < end && !/^-{6}$/.test(lines[i]!); i++) body.push(lines[i]!);
    details = body.map((l) => l.replace(/^\d+(?:\.\d+)? /, '')).filter((l) => l.trim());
  } else {
    // No block: "#9 ERROR: …" names the vertex, whose "#9 [stage n/m] …" line names the step;
    // tty progress prints " => ERROR [build 4/6] RUN npm ci   3.2s".
    const vertexError = findLast(lines, (l) => /^#\d+ ERROR:/.test(l), end);
    const id = vertexError >= 0 ? /^#(\d+) /.exec(lines[vertexError]!)![1] : undefined;
    const header = id === undefined ? -1 : lines.findIndex((l) => l.startsWith(`#${id} [`));
    if (header >= 0) step = lines[header]!.replace(/^#\d+ /, '');
    const tty = findLast(lines, (l) => /^\s*=> ERROR /.test(l), end);
    if (!step && tty >= 0) {
      step = lines[tty]!.replace(/^\s*=> ERROR /, '').replace(/\s+\d+(?:\.\d+)?s$/, '');
    }
  }

  // The source excerpt:   Dockerfile:12 / -------------------- / " 12 | >>> RUN npm ci" / --------------------
  let location: BuilderError['location'];
  const loc = findLast(lines, (l, i) => /^\S+:\d+$/.test(l) && /^-{10,}$/.test(lines[i + 1] ?? ''), end);
  if (loc >= 0) {
    const m = /^(\S+):(\d+)$/.exec(lines[loc]!)!;
    location = { file: resolveFile(m[1]!, dockerfile), line: Number(m[2]) };
  }
  return { message, step, details: details.slice(-DETAIL_LINES), location };
}

const CLASSIC_ERRORS = [
  /^The command '.*' returned a non-zero code: \d+$/,
  /^The command \[.*\] returned a non-zero code: \d+$/,
  /^Error response from daemon: /,
  /^(?:COPY|ADD) failed: /,
  /^unable to prepare context: /,
];

function classicError(lines: string[], end: number, dockerfile?: string): BuilderError {
  const message = lines[end]!.replace(/^Error response from daemon: /, '');
  const stepAt = findLast(lines, (l) => /^Step \d+\/\d+ : /.test(l), end);
  const step = stepAt >= 0 ? lines[stepAt] : undefined;
  const details =
    stepAt < 0
      ? []
      : lines
          .slice(stepAt + 1, end)
          .filter((l) => l.trim() && !/^ ---> /.test(l) && !/^Removing intermediate/.test(l));
  const parse = /dockerfile parse error (?:on )?line (\d+)/i.exec(message);
  const location = parse ? { file: dockerfile ?? 'Dockerfile', line: Number(parse[1]) } : undefined;
  return { message, step, details: details.slice(-DETAIL_LINES), location };
}

function lastLine(lines: string[]): BuilderError | undefined {
  const at = findLast(lines, (l) => l.trim() !== '' && !NOISE.some((re) => re.test(l.trim())));
  return at < 0 ? undefined : { message: lines[at]!.trim(), details: [] };
}

/** The printed name is the Dockerfile's base name; the annotation wants the path the user gave. */
function resolveFile(printed: string, dockerfile?: string): string {
  if (!dockerfile) return printed;
  const base = dockerfile.slice(dockerfile.replace(/\\/g, '/').lastIndexOf('/') + 1);
  return base === printed || printed.toLowerCase() === 'dockerfile'
    ? dockerfile.replace(/^\.\//, '')
    : printed;
}

function findLast(lines: string[], pred: (l: string, i: number) => boolean, before = lines.length): number {
  for (let i = Math.min(before, lines.length) - 1; i >= 0; i--) if (pred(lines[i]!, i)) return i;
  return -1;
}

const PERMANENT = [
  /\bdenied\b/i,
  /\bunauthorized\b/i,
  /\bname unknown\b/i,
  /\bmanifest invalid\b/i,
  /\btag invalid\b/i, // ECR: the tag exists in an immutable repository
  /\bimmutable\b/i,
];

const TRANSIENT = [
  /(?<![\d.])429(?![\d.])/,
  /too ?many ?requests/i,
  /(?<![\d.])50[0234](?![\d.])/,
  /internal server error|bad gateway|service unavailable|gateway time-?out/i,
  /connection reset/i,
  /i\/o timeout/i,
  /TLS handshake timeout/i,
  /\bEOF\b/,
  /net\/http: request canceled/i,
  /context deadline exceeded|DeadlineExceeded|Client\.Timeout exceeded/i,
  /blob upload unknown/i,
  /cannot reuse body/i,
  /broken pipe/i,
  /temporary failure in name resolution|server misbehaving/i,
];

/**
 * Whether a failed push (or login) is worth another try: rate limits, 5xx, dropped connections. Never
 * auth, missing repositories, bad manifests or immutable tags. When the text holds error lines
 * (`ERROR: …`, `#12 ERROR: …`, `error …`), only those are read: a build log's own lines must not decide.
 */
export function isTransientPushError(text: string): boolean {
  const errorLines = text
    .split(/\r?\n/)
    .filter((l) => /^(?:#\d+ )?(?:ERROR|error|Error)\b/.test(l.replace(ANSI, '').trim()));
  const relevant = errorLines.length ? errorLines.join('\n') : text;
  if (PERMANENT.some((re) => re.test(relevant))) return false;
  return TRANSIENT.some((re) => re.test(relevant));
}
