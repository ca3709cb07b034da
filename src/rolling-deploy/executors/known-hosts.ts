/**
 * OpenSSH known_hosts, as far as a deploy needs it: plain names, `[host]:port` for non-22 ports,
 * comma lists, `*`/`?` wildcards, `!negations`, hashed `|1|salt|hash` entries (HMAC-SHA1 of the name),
 * and `@revoked` keys. `@cert-authority` lines are ignored (host certificates are not supported).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface KnownHostKey {
  /** Key type as written: `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ... */
  readonly type: string;
  /** The public key blob (the base64 field, decoded). */
  readonly blob: Buffer;
  readonly revoked: boolean;
}

interface Entry extends KnownHostKey {
  readonly patterns: readonly string[];
}

export class KnownHosts {
  private readonly entries: Entry[] = [];

  /** Parses known_hosts text; throws naming the first malformed line. */
  constructor(text: string) {
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const fields = line.split(/\s+/);
      let marker: string | undefined;
      if (fields[0]?.startsWith('@')) marker = fields.shift();
      const [hosts, type, key] = fields;
      if (!hosts || !type || !key || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
        throw new Error(
          `known_hosts line ${i + 1}: expected "HOSTS KEYTYPE BASE64KEY" (as printed by ssh-keyscan), got ${JSON.stringify(line.slice(0, 80))}`,
        );
      }
      if (marker === '@cert-authority') return;
      if (marker !== undefined && marker !== '@revoked') {
        throw new Error(`known_hosts line ${i + 1}: unknown marker ${marker}`);
      }
      this.entries.push({
        patterns: hosts.split(','),
        type,
        blob: Buffer.from(key, 'base64'),
        revoked: marker === '@revoked',
      });
    });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Every key listed for `host` on `port` (revoked ones included, flagged). */
  lookup(host: string, port: number): KnownHostKey[] {
    const name = hostPortName(host, port);
    return this.entries
      .filter((e) => matchesPatterns(e.patterns, name))
      .map(({ type, blob, revoked }) => ({ type, blob, revoked }));
  }
}

/** The name known_hosts uses: `host` on port 22, `[host]:port` otherwise (lower case). */
export function hostPortName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function matchesPatterns(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    const pattern = negated ? p.slice(1) : p;
    if (matchOne(pattern, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function matchOne(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const want = Buffer.from(hash, 'base64');
    const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  const p = pattern.toLowerCase();
  if (!/[*?]/.test(p)) return p === name;
  const re = new RegExp(
    `^${p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(name);
}

/** `SHA256:...` as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type inside an SSH public key blob (its first string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** A hashed known_hosts name (`|1|salt|hash`), as `ssh-keygen -H` writes it. */
export function hashHostName(name: string, salt: Buffer): string {
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}
