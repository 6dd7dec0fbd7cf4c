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

/**
 * An independent model of docker-proxy-filter (src/utils.rs, src/docker.rs): `strings_in_strings`
 * over the names as listed (`/name`), `label_match` over every label, either one making a
 * container valid.
 */
function dpfValid(filterNames: string[], filterLabels: string[], names: string[], labels: Record<string, string>): boolean {
  let byName = false;
  for (const listed of names.map((n) => '/' + n)) for (const f of filterNames) if (listed.indexOf(f) !== -1) byName = true;
  let byLabel = false;
  for (const f of filterLabels) {
    const at = f.indexOf('=');
    const fk = at === -1 ? f : f.substring(0, at);
    const fv = at === -1 ? null : f.substring(at + 1);
    for (const k of Object.keys(labels)) if (k.indexOf(fk) !== -1 && (fv === null || labels[k]!.indexOf(fv) !== -1)) byLabel = true;
  }
  return byName || byLabel;
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

  it('property: names and labels are judged exactly as docker-proxy-filter judges them', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '/', '.', '='), maxLength: 5 });
    const nonEmpty = text.filter((t) => t !== '' && !t.startsWith('='));
    fc.assert(
      fc.property(
        fc.array(nonEmpty, { maxLength: 3 }),
        fc.array(nonEmpty, { maxLength: 3 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', '.', '-'), maxLength: 6 }),
        fc.dictionary(text, text, { maxKeys: 3 }),
        (names, labels, name, containerLabels) => {
          const s = sel(names, labels, 'substring');
          assert.equal(s.visible([name], containerLabels), dpfValid(names, labels, [name], containerLabels));
        },
      ),
    );
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
