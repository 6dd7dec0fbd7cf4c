import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer tokens. Portcullis keeps only SHA-256 digests of the configured tokens: `token:` and
 * `tokenFile:` are digested when the config is loaded, `tokenHash:` is the digest itself. A
 * presented token is digested and then compared with EVERY configured digest using
 * crypto.timingSafeEqual, without stopping at the first match, so the time taken depends neither
 * on how many leading characters of a guess are right nor on which client (if any) matched.
 * Tokens are never logged and never appear in an error message.
 */

/** What a token may contain: it travels as `Authorization: Bearer <token>`, so printable ASCII, no spaces. */
export const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/** The `sha256:<64 hex>` form of `tokenHash:`. */
export const TOKEN_HASH_PATTERN = /^sha256:[0-9a-fA-F]{64}$/;

/** SHA-256 of the token's UTF-8 bytes, as lower-case hex (the form kept in the config). */
export function tokenDigestHex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `sha256:<hex>` → lower-case hex; undefined when malformed. */
export function parseTokenHash(text: string): string | undefined {
  return TOKEN_HASH_PATTERN.test(text) ? text.slice('sha256:'.length).toLowerCase() : undefined;
}

// `Bearer` is case-insensitive (RFC 9110 §11.1); one or more spaces; the token itself. The header
// parser has already trimmed surrounding whitespace.
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] +([\x21-\x7e]+)$/;

/** The token of an `Authorization: Bearer <token>` value; undefined for anything else. */
export function bearerToken(authorization: string): string | undefined {
  return BEARER.exec(authorization)?.[1];
}

/** Configured token digests, each with the value (a client) it identifies. */
export class TokenTable<T> {
  private readonly digests: Buffer[];
  private readonly values: T[];

  constructor(entries: ReadonlyArray<{ readonly sha256Hex: string; readonly value: T }>) {
    this.digests = entries.map((e) => {
      const d = Buffer.from(e.sha256Hex, 'hex');
      if (d.length !== 32) throw new TypeError('TokenTable: a digest must be 32 bytes of SHA-256');
      return d;
    });
    this.values = entries.map((e) => e.value);
  }

  get size(): number {
    return this.digests.length;
  }

  /** The value whose token is `presented`, or undefined. Constant time in the token (see above). */
  match(presented: string): T | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found = -1;
    for (let i = 0; i < this.digests.length; i++) {
      // No early exit: every digest is compared whatever the outcome of the previous ones.
      const equal = timingSafeEqual(digest, this.digests[i]!);
      found = equal && found < 0 ? i : found;
    }
    return found < 0 ? undefined : this.values[found];
  }
}
