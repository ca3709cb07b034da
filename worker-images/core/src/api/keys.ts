/**
 * Object-key safety: a key given to the API must name an object inside the video bucket and nothing
 * else. Pure; no SDK imports.
 */

/** S3's own limit on key length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Why `key` is unsafe, or undefined when it is a plain relative key. */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `must be at most ${MAX_KEY_BYTES} bytes`;
  if (key.trim() !== key) return 'must not start or end with whitespace';
  // Decode repeatedly so that "%2e%2e%2f" and "%252e%252e" are judged by what they could become.
  const forms = [key];
  for (let i = 0; i < 3; i++) {
    const last = forms[forms.length - 1]!;
    let decoded: string;
    try {
      decoded = decodeURIComponent(last);
    } catch {
      break; // a literal "%" that is not an escape is allowed, as S3 allows it
    }
    if (decoded === last) break;
    forms.push(decoded);
  }
  for (const form of forms) {
    const encoded = form !== key ? ' (URL-encoded)' : '';
    if (hasControlCharacter(form)) return `must not contain control characters${encoded}`;
    if (form.includes('\\')) return `must not contain backslashes${encoded}`;
    if (form.startsWith('/')) return `must be relative, not an absolute path${encoded}`;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(form)) return `must be a key, not a URL${encoded}`;
    const segments = form.split('/');
    if (segments.some((s) => s === '.' || s === '..'))
      return `must not contain "." or ".." segments${encoded}`;
    if (segments.slice(0, -1).some((s) => s === ''))
      return `must not contain empty segments ("//")${encoded}`;
    if (form.endsWith('/')) return `must name an object, not a folder${encoded}`;
  }
  return undefined;
}

/** C0 controls, DEL and C1 controls. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
}

/**
 * Resolves a source given as a key in `bucket` or as `s3://<bucket>/<key>`. Throws a message (without
 * the field name) when it is not acceptable.
 */
export function resolveSource(source: string, bucket: string): ObjectRef {
  let key = source;
  if (/^s3:\/\//i.test(source)) {
    const rest = source.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const named = slash === -1 ? rest : rest.slice(0, slash);
    if (named !== bucket) {
      throw new KeyError(`s3 URI must name the video bucket "${bucket}", got "${named}"`);
    }
    if (slash === -1) throw new KeyError('s3 URI must include an object key after the bucket');
    key = rest.slice(slash + 1);
  }
  const problem = keyProblem(key);
  if (problem) throw new KeyError(`object key ${problem}`);
  return { bucket, key };
}

export class KeyError extends Error {
  override readonly name = 'KeyError';
}
