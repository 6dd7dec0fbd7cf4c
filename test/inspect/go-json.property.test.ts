/**
 * Property tests: what Portcullis forwards (serializeJson of what decodeGoJson accepted) is read by
 * Go exactly as the original body would have been. "Go" here is an independent MODEL of
 * encoding/json's Decoder written below (its own parser; struct keys matched exactly, then with
 * simple case folding via RegExp /iu; last duplicate wins, objects merge into structs/maps already
 * set; map keys exact; unknown struct fields dropped; data after the first value ignored).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeGoJson, serializeJson } from '../../src/inspect/go-json.js';
import { SCHEMAS, type Descriptor } from '../../src/inspect/schemas.js';

// ---------------------------------------------------------------- the model
type Ast =
  | { t: 'obj'; entries: [string, Ast][] }
  | { t: 'arr'; items: Ast[] }
  | { t: 'str'; v: string }
  | { t: 'num'; lit: string }
  | { t: 'lit'; v: boolean | null };

/** Parses the first JSON value of `text` (Go's Decoder ignores what follows). Throws if invalid. */
function modelParseFirst(text: string): Ast {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const val = (): Ast => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, Ast][] = [];
      ws();
      if (text[i] === '}') return i++, { t: 'obj', entries };
      for (;;) {
        ws();
        const k = val();
        if (k.t !== 'str') throw new Error('key');
        ws();
        if (text[i++] !== ':') throw new Error(':');
        entries.push([k.v, val()]);
        ws();
        const d = text[i++];
        if (d === '}') return { t: 'obj', entries };
        if (d !== ',') throw new Error(',');
      }
    }
    if (c === '[') {
      i++;
      const items: Ast[] = [];
      ws();
      if (text[i] === ']') return i++, { t: 'arr', items };
      for (;;) {
        items.push(val());
        ws();
        const d = text[i++];
        if (d === ']') return { t: 'arr', items };
        if (d !== ',') throw new Error(',');
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/.exec(text.slice(i));
      if (!m) throw new Error('string');
      i += m[0].length;
      // Go turns unpaired surrogate escapes into U+FFFD
      return { t: 'str', v: wellFormed(JSON.parse(m[0]) as string) };
    }
    const n = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (n && n[0].length > 0) {
      i += n[0].length;
      return { t: 'num', lit: n[0] };
    }
    for (const [w, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(w, i)) return (i += w.length), { t: 'lit', v };
    }
    throw new Error(`unexpected ${c}`);
  };
  const v = val();
  // a number at the very end needs a delimiter in Go's Decoder only when more could follow; JSON text ends here
  return v;
}

function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function modelFieldFor(fields: Readonly<Record<string, Descriptor>>, key: string): string | undefined {
  if (Object.hasOwn(fields, key)) return key;
  return Object.keys(fields).find((f) => new RegExp(`^${f.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')}$`, 'iu').test(key));
}

type GoValue = null | boolean | string | { num: string } | GoValue[] | { k: 'struct' | 'map'; m: Map<string, GoValue> };

function modelRead(ast: Ast, desc: Descriptor | undefined, prev?: GoValue): GoValue {
  if (ast.t === 'obj' && desc?.kind === 'struct') {
    const into = prev && typeof prev === 'object' && !Array.isArray(prev) && 'k' in prev && prev.k === 'struct' ? prev.m : new Map<string, GoValue>();
    for (const [k, v] of ast.entries) {
      const f = modelFieldFor(desc.fields, k);
      if (f === undefined) continue;
      into.set(f, modelRead(v, desc.fields[f], into.get(f)));
    }
    return { k: 'struct', m: into };
  }
  if (ast.t === 'obj' && desc?.kind === 'map') {
    const into = prev && typeof prev === 'object' && !Array.isArray(prev) && 'k' in prev && prev.k === 'map' ? prev.m : new Map<string, GoValue>();
    for (const [k, v] of ast.entries) into.set(k, modelRead(v, desc.values));
    return { k: 'map', m: into };
  }
  switch (ast.t) {
    case 'obj': {
      const m = new Map<string, GoValue>();
      for (const [k, v] of ast.entries) m.set(k, modelRead(v, undefined));
      return { k: 'map', m };
    }
    case 'arr':
      return ast.items.map((x) => modelRead(x, desc?.kind === 'array' ? desc.items : undefined));
    case 'str':
      return ast.v;
    case 'num':
      return { num: ast.lit };
    case 'lit':
      return ast.v;
  }
}

function normalise(v: GoValue): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(normalise);
  if ('num' in v) return { num: v.num };
  return { [v.k]: [...v.m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, normalise(x)]) };
}

function goReads(bytes: Buffer, desc: Descriptor): unknown {
  return normalise(modelRead(modelParseFirst(new TextDecoder().decode(bytes)), desc));
}

// ---------------------------------------------------------------- generators
const tweakCase = (name: string): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0, max: 5 }), { minLength: name.length, maxLength: name.length }).map((rs) =>
    [...name]
      .map((ch, i) => {
        const r = rs[i]!;
        if (r === 1) return ch.toUpperCase();
        if (r === 2) return ch.toLowerCase();
        if (r === 3 && /[sS]/.test(ch)) return '\u017f';
        if (r === 3 && /[kK]/.test(ch)) return '\u212a';
        if (r === 3 && /[iI]/.test(ch)) return '\u0131';
        if (r === 4) return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`; // escaped in the key
        return ch;
      })
      .join(''),
  );

const jsonStr = (s: string) => JSON.stringify(s).replace(/\\\\u([0-9a-f]{4})/g, '\\u$1'); // keep our \u escapes live

const scalarText = fc.oneof(
  fc.constantFrom('true', 'false', 'null', '0', '-1', '9223372036854775807', '-9223372036854775808', '18446744073709551615', '1.5e3', '0.1'),
  fc.constantFrom('"a"', '"\\ud800"', '"\\udc00x"', '"\\ud83d\\ude00"', '"<&>"', '"\u2028"', '"\\u0000"', '"ſ"', '"\\"\\\\"'),
  fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
);

const MAP_KEYS = ['a', 'A', 'b', 'privileged', 'Privileged', 'net.ipv4.ip_forward', '\\u0061', 'ſ', 's', '__proto__'];

function valueText(desc: Descriptor | undefined, depth: number): fc.Arbitrary<string> {
  if (depth > 3) return scalarText;
  const ws = fc.constantFrom('', ' ', '\n');
  if (desc?.kind === 'struct') {
    const names = Object.keys(desc.fields);
    const key = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...names).chain(tweakCase) },
      { weight: 1, arbitrary: fc.constantFrom('Unknown', 'unknown', 'X-Extra', '__proto__') },
    );
    const entry = key.chain((k) => {
      const canonical = Object.keys(desc.fields).find((f) => f.toLowerCase() === k.replace(/\\u00([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))).toLowerCase());
      return valueText(canonical ? desc.fields[canonical] : undefined, depth + 1).map((v) => `${jsonStr(k)}:${v}`);
    });
    return fc.tuple(fc.array(entry, { maxLength: 5 }), ws).map(([es, w]) => `{${w}${es.join(`,${w}`)}}`);
  }
  if (desc?.kind === 'map') {
    const entry = fc.tuple(fc.constantFrom(...MAP_KEYS), valueText(desc.values, depth + 1)).map(([k, v]) => `"${k}":${v}`);
    return fc.array(entry, { maxLength: 4 }).map((es) => `{${es.join(',')}}`);
  }
  if (desc?.kind === 'array') return fc.array(valueText(desc.items, depth + 1), { maxLength: 3 }).map((xs) => `[${xs.join(',')}]`);
  return fc.oneof(
    { weight: 5, arbitrary: scalarText },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom('x', 'X', 'y', 'ſ', 'S', 's'), scalarText), { maxLength: 3 })
        .map((es) => `{${es.map(([k, v]) => `"${k}":${v}`).join(',')}}`),
    },
  );
}

const body = (desc: Descriptor) =>
  fc.tuple(valueText(desc, 0), fc.constantFrom('', '', '', ' ', '\n', ' {"HostConfig":{"Privileged":true}}', 'x', '}')).map(([v, trail]) => Buffer.from(v + trail));

// ---------------------------------------------------------------- properties
function check(desc: Descriptor, runs: number): void {
  let accepted = 0;
  fc.assert(
    fc.property(body(desc), (bytes) => {
      const r = decodeGoJson(bytes, desc);
      if (!r.ok) {
        assert.match(r.reason, /^(invalid JSON|trailing data|duplicate key|nesting)/);
        return;
      }
      accepted++;
      const out = Buffer.from(serializeJson(r.value));
      assert.deepEqual(goReads(out, desc), goReads(bytes, desc), `forwarded ${out} for ${bytes}`);
      const again = decodeGoJson(out, desc);
      assert.ok(again.ok, `re-decoding ${out}`);
      assert.equal(serializeJson(again.value), out.toString());
    }),
    { numRuns: runs },
  );
  assert.ok(accepted > runs / 20, `only ${accepted} of ${runs} generated bodies were accepted`);
}

test('ContainerCreate: Go reads what we forward as it reads the original', () => check(SCHEMAS.ContainerCreate, 1500));
test('ServiceCreate: Go reads what we forward as it reads the original', () => check(SCHEMAS.ServiceCreate, 800));
test('ContainerUpdate / ContainerExec / VolumeCreate', () => {
  check(SCHEMAS.ContainerUpdate, 400);
  check(SCHEMAS.ContainerExec, 300);
  check(SCHEMAS.VolumeCreate, 300);
});

test('whenever the model sees two fields that fold together in a struct, we refuse', () => {
  const desc = SCHEMAS.ContainerCreate;
  fc.assert(
    fc.property(body(desc), (bytes) => {
      let ast: Ast;
      try {
        ast = modelParseFirst(new TextDecoder().decode(bytes));
      } catch {
        assert.equal(decodeGoJson(bytes, desc).ok, false);
        return;
      }
      if (ast.t !== 'obj') return;
      const seen = new Set<string>();
      let dup = false;
      for (const [k] of ast.entries) {
        const f = modelFieldFor(desc.kind === 'struct' ? desc.fields : {}, k);
        if (f === undefined) continue;
        if (seen.has(f)) dup = true;
        seen.add(f);
      }
      if (dup) assert.equal(decodeGoJson(bytes, desc).ok, false);
    }),
    { numRuns: 1000 },
  );
});
