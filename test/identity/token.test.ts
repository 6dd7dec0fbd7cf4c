import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { bearerToken, parseTokenHash, TokenTable, tokenDigestHex } from '../../src/identity/token.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('token digests', () => {
  it('digests tokens as SHA-256 hex of their UTF-8 bytes', () => {
    assert.equal(tokenDigestHex('abc'), sha('abc'));
    assert.equal(tokenDigestHex('abc').length, 64);
  });

  it('reads sha256:<hex> in either case', () => {
    assert.equal(parseTokenHash(`sha256:${sha('x').toUpperCase()}`), sha('x'));
    assert.equal(parseTokenHash(`sha256:${sha('x').slice(1)}`), undefined);
    assert.equal(parseTokenHash(`SHA256:${sha('x')}`), undefined);
    assert.equal(parseTokenHash(sha('x')), undefined);
  });
});

describe('bearerToken', () => {
  it('takes the token of "Bearer <token>", scheme case-insensitive', () => {
    assert.equal(bearerToken('Bearer abc.DEF-_~+/='), 'abc.DEF-_~+/=');
    assert.equal(bearerToken('bearer abc'), 'abc');
    assert.equal(bearerToken('BEARER  abc'), 'abc');
  });

  it('refuses anything else', () => {
    for (const v of ['', 'Bearer', 'Bearer ', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Bearer a b', 'Bearer\tabc', 'Bearerabc', 'Token abc', 'Bearer abc, Bearer def', 'Bearer ä']) {
      assert.equal(bearerToken(v), undefined, v);
    }
  });
});

describe('TokenTable', () => {
  const table = new TokenTable([
    { sha256Hex: sha('alpha'), value: 'a' },
    { sha256Hex: sha('beta'), value: 'b' },
    { sha256Hex: sha('gamma'), value: 'c' },
  ]);

  it('finds the client of a token, wherever it is in the table', () => {
    assert.equal(table.match('alpha'), 'a');
    assert.equal(table.match('beta'), 'b');
    assert.equal(table.match('gamma'), 'c');
    assert.equal(table.size, 3);
  });

  it('finds nothing for other tokens, prefixes and extensions', () => {
    for (const t of ['', 'alph', 'alphaa', 'ALPHA', 'delta', sha('alpha')]) assert.equal(table.match(t), undefined, t);
  });

  it('works with no tokens at all', () => {
    assert.equal(new TokenTable<string>([]).match('x'), undefined);
  });

  it('refuses a digest that is not 32 bytes', () => {
    assert.throws(() => new TokenTable([{ sha256Hex: 'abcd', value: 1 }]), /32 bytes/);
  });
});

/** Median of the per-batch times of `fn`, measured in interleaved rounds against the other candidates. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

describe('TokenTable timing', () => {
  it('takes the same time whether 0 or 63 leading characters of a guess are right', () => {
    const stored = randomBytes(32).toString('hex'); // 64 characters
    const flip = (c: string) => (c === '0' ? '1' : '0');
    const none = flip(stored[0]!) + stored.slice(1); // shares 0 leading characters
    const most = stored.slice(0, 63) + flip(stored[63]!); // shares 63
    const entries = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ sha256Hex: i === 5 ? sha(stored) : sha(`other-${i}`), value: i }));
    const table = new TokenTable(entries);
    assert.equal(table.match(stored), 5);
    assert.equal(table.match(none), undefined);
    assert.equal(table.match(most), undefined);

    const BATCH = 2000;
    const ROUNDS = 41;
    const time = (token: string): number => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < BATCH; i++) table.match(token);
      return Number(process.hrtime.bigint() - t0);
    };
    // On a busy machine one attempt can be unlucky; the property must hold in one of a few.
    let ratio = Infinity;
    for (let attempt = 0; attempt < 4 && ratio >= 1.5; attempt++) {
      for (let i = 0; i < 5; i++) time(i % 2 ? none : most); // warm-up
      const a: number[] = [];
      const b: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // interleaved, alternating which goes first
        if (r % 2) {
          a.push(time(none));
          b.push(time(most));
        } else {
          b.push(time(most));
          a.push(time(none));
        }
      }
      const ma = median(a);
      const mb = median(b);
      ratio = Math.max(ma, mb) / Math.min(ma, mb);
    }
    assert.ok(ratio < 1.5, `median times differ by ${ratio.toFixed(2)}x`);
  });
});
