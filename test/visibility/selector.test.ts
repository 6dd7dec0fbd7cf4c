import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileSelector, type Kind } from '../../src/visibility/selector.js';
import type { MatchMode } from '../../src/visibility/model.js';

const sel = (names: string[], labels: string[], mode: MatchMode = 'glob', kind: Kind = 'container') => compileSelector({ names, labels }, mode, kind);

describe('visibility selectors: glob mode', () => {
  it('name patterns match the whole name, * any run and ? one character', () => {
    const s = sel(['web*', 'db-?', 'traefik'], []);
    for (const n of ['web', 'web1', 'web-frontend', 'db-1', 'traefik']) assert.ok(s.nameMatches(n), n);
    for (const n of ['aweb', 'db-12', 'db-', 'traefik2', 'my-traefik', '']) assert.ok(!s.nameMatches(n), n);
  });

  it('everything but * and ? is literal, regular-expression characters included', () => {
    const s = sel(['a.b', '(x)+', '[y]', 'c$', '^d', 'e\\f', 'g/h|i'], [], 'glob', 'network');
    for (const n of ['a.b', '(x)+', '[y]', 'c$', '^d', 'e\\f', 'g/h|i']) assert.ok(s.nameMatches(n), n);
    for (const n of ['axb', 'xx', 'y', 'c', 'd', 'g/h']) assert.ok(!s.nameMatches(n), n);
  });

  it('a container pattern may be written with the leading "/" dockerd lists; networks and volumes keep theirs', () => {
    assert.ok(sel(['/web*'], []).nameMatches('web1'));
    assert.ok(!sel(['/web*'], [], 'glob', 'volume').nameMatches('web1'));
  });

  it('label selectors are exact, as dockerd\'s label filter: key set, or key with exactly that value', () => {
    const s = sel([], ['com.example.expose', 'env=prod', 'empty=', 'eq=a=b']);
    assert.ok(s.labelsMatch({ 'com.example.expose': '' }));
    assert.ok(s.labelsMatch({ env: 'prod' }));
    assert.ok(s.labelsMatch({ empty: '' }));
    assert.ok(s.labelsMatch({ eq: 'a=b' }));
    const others: Record<string, string>[] = [{}, { 'com.example': 'x' }, { 'com.example.exposed': '' }, { env: 'production' }, { ENV: 'prod' }, { empty: 'x' }, { eq: 'a' }];
    for (const l of others) {
      assert.ok(!s.labelsMatch(l), JSON.stringify(l));
    }
  });

  it('visible: any own name matching a pattern or the labels matching a selector', () => {
    const s = sel(['web*'], ['expose']);
    assert.ok(s.visible(['web1'], {}));
    assert.ok(s.visible(['db1'], { expose: 'yes' }));
    assert.ok(!s.visible(['db1'], { other: 'x' }));
    assert.ok(!s.visible([], {}));
  });

  it('an empty rule shows nothing', () => {
    assert.ok(!sel([], []).visible(['anything'], { any: 'x' }));
  });

  it('pushes down exactly one label selector and nothing else', () => {
    assert.equal(sel([], ['env=prod']).pushdown, 'env=prod');
    assert.equal(sel([], ['expose']).pushdown, 'expose');
    assert.equal(sel(['web*'], ['env=prod']).pushdown, null);
    assert.equal(sel([], ['a', 'b']).pushdown, null);
    assert.equal(sel([], []).pushdown, null);
    assert.equal(sel([], ['env=prod'], 'substring').pushdown, null);
  });

  it('property: a name built from literal pieces matches the pattern with any piece replaced by *', () => {
    const piece = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', '_', '(', '[', '+', '$', '\\', 'é', '😀'), maxLength: 4 });
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), (pieces, wild) => {
        const name = pieces.join('');
        const pattern = pieces.map((p, i) => (wild[i] ? '*' : p)).join('');
        assert.ok(sel([pattern], [], 'glob', 'network').nameMatches(name), `${pattern} ~ ${name}`);
        // Without wildcards a pattern matches exactly its own text.
        assert.ok(sel([name], [], 'glob', 'network').nameMatches(name));
        assert.ok(!sel([name], [], 'glob', 'network').nameMatches(name + 'x'));
      }),
    );
  });
});

/** Every contiguous piece of `s`, the empty one included: "contains" spelled out as set membership. */
function pieces(s: string): Set<string> {
  const chars = [...s];
  const out = new Set<string>(['']);
  for (let i = 0; i < chars.length; i++) for (let j = i + 1; j <= chars.length; j++) out.add(chars.slice(i, j).join(''));
  return out;
}

/**
 * A model written from docs/visibility.md ("match: substring"), not from the code: a container is visible
 * when `/<name>` (a network or volume: the bare name) has a name pattern as one of its pieces, or when
 * some label has a selector's key among the pieces of its key and, for `key=value` (split at the first
 * "="), the value among the pieces of its value; every selector counts, also several with one key.
 */
function documentedVisible(kind: Kind, patterns: string[], selectors: string[], name: string, labels: Record<string, string>): boolean {
  const subject = pieces(kind === 'container' ? `/${name}` : name);
  if (patterns.some((p) => subject.has(p))) return true;
  return selectors.some((selector) => {
    const [, key, value] = /^([^=]*)(?:=(.*))?$/s.exec(selector)!;
    return Object.entries(labels).some(([k, v]) => pieces(k).has(key!) && (value === undefined || pieces(v).has(value)));
  });
}

describe('visibility selectors: substring mode (docker-proxy-filter)', () => {
  it('CONTAINER_NAMES: the README example', () => {
    const s = sel(['foo', 'bar'], [], 'substring');
    assert.ok(s.nameMatches('myproject-foo-1'));
    assert.ok(s.nameMatches('coolthingbar-2'));
    assert.ok(!s.nameMatches('other-container'));
  });

  it('CONTAINER_NAMES compares against "/<name>", so a leading "/" anchors a value at the start', () => {
    const s = sel(['/web'], [], 'substring');
    assert.ok(s.nameMatches('web'));
    assert.ok(s.nameMatches('web-1'));
    assert.ok(!s.nameMatches('my-web'));
  });

  it('CONTAINER_LABELS: the README example', () => {
    const s = sel([], ['myfoo', 'com.bar=fun'], 'substring');
    assert.ok(s.labelsMatch({ something: 'cool', 'com.something': 'nice', 'com.bar': 'fun' }), 'container A');
    assert.ok(s.labelsMatch({ something: 'cool', 'com.myfoo.aaa': 'yo', 'com.myfoo.bbb': 'hey', 'com.bar': 'sad' }), 'container B');
    assert.ok(!s.labelsMatch({ something: 'cool', 'com.bar': 'sad' }));
    // key and value each by substring: com.bar=fun matches com.barista=funny
    assert.ok(s.labelsMatch({ 'com.barista': 'funny' }));
  });

  it('property: names and labels are judged as docs/visibility.md describes docker-proxy-filter', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '/', '.', '=', 'é'), maxLength: 5 });
    const selector = text.filter((t) => t !== '' && !t.startsWith('='));
    fc.assert(
      fc.property(
        fc.constantFrom<Kind>('container', 'network', 'volume'),
        fc.array(selector, { maxLength: 3 }),
        fc.array(selector, { maxLength: 3 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', '.', '-', '/'), maxLength: 6 }),
        fc.dictionary(text, text, { maxKeys: 3 }),
        (kind, names, labels, name, containerLabels) => {
          const s = sel(names, labels, 'substring', kind);
          assert.equal(s.visible([name], containerLabels), documentedVisible(kind, names, labels, name, containerLabels));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('several selectors with one key each count (docker-proxy-filter would keep only the last)', () => {
    const s = sel([], ['env=prod', 'env=staging'], 'substring');
    assert.ok(s.labelsMatch({ env: 'prod' }));
    assert.ok(s.labelsMatch({ env: 'staging' }));
    assert.ok(!s.labelsMatch({ env: 'dev' }));
  });

  it('property: every piece of "/<name>" is a pattern that shows the container', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.nat(), fc.nat(), (name, a, b) => {
        const full = '/' + name;
        const start = a % full.length;
        const piece = full.slice(start, start + 1 + (b % (full.length - start)));
        assert.ok(sel([piece], [], 'substring').nameMatches(name), `${piece} in ${full}`);
      }),
    );
  });
});
