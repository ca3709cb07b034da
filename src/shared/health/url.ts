/**
 * Credentials a health URL may carry, and the URL as it may be shown. Two places hold them:
 * - the user info: `https://user:PASSWORD@host/` or a bare token `https://TOKEN@host/`;
 * - the query, under a credential-like parameter name: `?token=`, `?api_key=`, `?access_token=`,
 *   `?X-Amz-Signature=`, `?sig=` (Azure SAS), `?password=`, `?client_secret=`...
 * Anything else in a URL (the path, other parameters) is shown as written: put secrets in headers.
 */

/** Query parameter names whose values are treated as secrets (matched case-insensitively, in full). */
export const SECRET_PARAM =
  /^(?:.*(?:token|secret|passw(?:or)?d|pwd|api[-_]?key|apikey|auth|credential|signature|session)|key|sig|pass)$/i;

/**
 * A query value this short is not masked (it is still redacted wherever a URL is shown): masking "1"
 * would blank out every 1 in the log.
 */
const MIN_MASKED = 3;

function decodeForm(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s; // "%zz" is not an escape: the value is used as written.
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `name=value` pairs of a query string (without its "?"), as written. */
function pairs(query: string): { name: string; value: string | undefined }[] {
  return query
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? { name: p, value: undefined } : { name: p.slice(0, eq), value: p.slice(eq + 1) };
    });
}

function isSecretName(rawName: string): boolean {
  return SECRET_PARAM.test(decodeForm(rawName));
}

/**
 * Every secret a URL holds, in every form it can appear in a log: as written in the input, decoded,
 * and as the URL parser re-encodes it. Works on text that is not a valid URL too (masking happens
 * before validation, so an error about the URL cannot leak it).
 */
export function urlSecrets(text: string): string[] {
  const out: string[] = [];
  const fromQuery: string[] = [];
  const withPassword = /\/\/[^/:@?#]*:([^/@?#]*)@/.exec(text);
  const tokenOnly = /\/\/([^/:@?#]+)@/.exec(text); // https://TOKEN@host: the user name is the secret
  const userSecret = withPassword?.[1] || tokenOnly?.[1];
  if (userSecret) out.push(userSecret, decode(userSecret));
  const q = text.indexOf('?');
  if (q >= 0) {
    const query = text.slice(q + 1).split('#')[0]!;
    let parsed: URL | undefined;
    try {
      parsed = new URL(text);
    } catch {
      parsed = undefined;
    }
    const reEncoded = parsed ? pairs(parsed.search.slice(1)) : [];
    pairs(query).forEach((p, i) => {
      if (!p.value || !isSecretName(p.name)) return;
      fromQuery.push(p.value, decodeForm(p.value));
      const again = reEncoded[i]?.value;
      if (again) fromQuery.push(again);
    });
  }
  return [...new Set([...out, ...fromQuery.filter((s) => s.length >= MIN_MASKED)])];
}

/** The query string with the values of credential-like parameters replaced by `***`. */
export function redactQuery(search: string): string {
  if (!search || search === '?') return search;
  const parts = pairs(search.slice(1)).map(({ name, value }) =>
    value !== undefined && value !== '' && isSecretName(name)
      ? `${name}=***`
      : value === undefined
        ? name
        : `${name}=${value}`,
  );
  return `?${parts.join('&')}`;
}

/** The URL as it may be logged: user info credentials and credential-like query values become ***. */
export function displayUrl(url: URL): string {
  const u = new URL(url.href);
  if (u.password) u.password = '***';
  else if (u.username) u.username = '***';
  const search = u.search;
  if (!search) return u.href;
  const redacted = redactQuery(search);
  // Splice the query back in as text: URLSearchParams would re-encode the other parameters.
  const href = u.href;
  const at = href.indexOf(search);
  return at < 0 ? href : `${href.slice(0, at)}${redacted}${href.slice(at + search.length)}`;
}

/** Redacts a URL the user wrote, even one that does not parse (for error messages). */
export function redactUrlText(text: string): string {
  const q = text.indexOf('?');
  const head = (q < 0 ? text : text.slice(0, q)).replace(/\/\/([^/@?#]*)@/, (_m, info: string) =>
    info.includes(':') ? `//${info.slice(0, info.indexOf(':'))}:***@` : '//***@',
  );
  if (q < 0) return head;
  const rest = text.slice(q);
  const hash = rest.indexOf('#');
  return hash < 0 ? head + redactQuery(rest) : head + redactQuery(rest.slice(0, hash)) + rest.slice(hash);
}
