/**
 * JSON decoding with the semantics of Go's `encoding/json` as dockerd uses it
 * (`json.NewDecoder(body).Decode(&v)` into the API structs), and serialisation that Go reads back
 * identically.
 *
 * What dockerd does, and what we do about it:
 * - struct field names match keys case-insensitively with Unicode simple folding, the last
 *   duplicate wins: in struct-typed objects (per the schema) and in objects of unknown type we
 *   refuse two keys that fold to the same name, and rename keys that match a known field to its
 *   canonical spelling (so inspectors can look up `Privileged` and find `pRiViLeGeD`);
 * - map-typed fields keep keys exactly, last duplicate wins: we refuse exact duplicates;
 * - `\u` escapes in keys are decoded before matching: we match decoded keys too;
 * - the Decoder ignores data after the first value: we refuse it;
 * - invalid UTF-8 in strings becomes U+FFFD (one per invalid byte, as `utf8.DecodeRune` does),
 *   and so does an unpaired UTF-16 surrogate escape: we do the same;
 * - numbers keep their literal text (int64 fields are read exactly by dockerd).
 * The structure is parsed here (not with JSON.parse, which silently keeps the last duplicate).
 */
import { goFoldKey } from './fold.js';
import { JsonNumber, type JsonObject, type JsonValue } from './json-value.js';
import type { Descriptor } from './schemas.js';

export const MAX_JSON_DEPTH = 200;

export type GoJsonResult = { ok: true; value: JsonValue } | { ok: false; reason: string };

class JsonRefusal extends Error {}

/** Per struct descriptor: exact field names and folded name → canonical name (first in order, like Go). */
interface FieldIndex {
  readonly folded: Map<string, string>;
}
const fieldIndexes = new WeakMap<object, FieldIndex>();
function fieldIndex(fields: Readonly<Record<string, Descriptor>>): FieldIndex {
  let idx = fieldIndexes.get(fields);
  if (!idx) {
    const folded = new Map<string, string>();
    for (const name of Object.keys(fields)) {
      const f = goFoldKey(name);
      if (!folded.has(f)) folded.set(f, name);
    }
    idx = { folded };
    fieldIndexes.set(fields, idx);
  }
  return idx;
}

/** Finds the canonical field a key selects in a struct, as Go does (exact match first, then folded). */
export function matchField(fields: Readonly<Record<string, Descriptor>>, key: string): string | undefined {
  if (Object.hasOwn(fields, key)) return key;
  return fieldIndex(fields).folded.get(goFoldKey(key));
}

/** Sets an own enumerable property (works for `__proto__` too). */
function setOwn(obj: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function describeByte(b: number | undefined): string {
  if (b === undefined) return 'end of input';
  if (b >= 0x20 && b < 0x7f) return `character '${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}

function quoteKey(k: string): string {
  return serializeString(k);
}

class Parser {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  fail(what: string): never {
    throw new JsonRefusal(`invalid JSON: ${what} at offset ${this.pos}`);
  }

  skipWs(): void {
    const b = this.buf;
    while (this.pos < b.length) {
      const c = b[this.pos]!;
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  value(desc: Descriptor | undefined, depth: number): JsonValue {
    this.skipWs();
    const c = this.buf[this.pos];
    switch (c) {
      case 0x7b: // {
        return this.object(desc, depth + 1);
      case 0x5b: // [
        return this.array(desc, depth + 1);
      case 0x22: // "
        return this.string();
      case 0x74:
        return this.literal('true', true);
      case 0x66:
        return this.literal('false', false);
      case 0x6e:
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail(`unexpected ${describeByte(c)} looking for beginning of value`);
    }
  }

  literal<T extends JsonValue>(word: string, v: T): T {
    for (let i = 0; i < word.length; i++) {
      if (this.buf[this.pos] !== word.charCodeAt(i)) this.fail(`unexpected ${describeByte(this.buf[this.pos])} in literal ${word}`);
      this.pos++;
    }
    return v;
  }

  number(): JsonNumber {
    const b = this.buf;
    const start = this.pos;
    const digit = (x: number | undefined): boolean => x !== undefined && x >= 0x30 && x <= 0x39;
    if (b[this.pos] === 0x2d) this.pos++;
    if (b[this.pos] === 0x30) this.pos++;
    else if (digit(b[this.pos])) while (digit(b[this.pos])) this.pos++;
    else this.fail(`unexpected ${describeByte(b[this.pos])} in numeric literal`);
    if (b[this.pos] === 0x2e) {
      this.pos++;
      if (!digit(b[this.pos])) this.fail(`unexpected ${describeByte(b[this.pos])} after decimal point in numeric literal`);
      while (digit(b[this.pos])) this.pos++;
    }
    if (b[this.pos] === 0x65 || b[this.pos] === 0x45) {
      this.pos++;
      if (b[this.pos] === 0x2b || b[this.pos] === 0x2d) this.pos++;
      if (!digit(b[this.pos])) this.fail(`unexpected ${describeByte(b[this.pos])} in exponent of numeric literal`);
      while (digit(b[this.pos])) this.pos++;
    }
    let lit = '';
    for (let i = start; i < this.pos; i++) lit += String.fromCharCode(b[i]!);
    return new JsonNumber(lit);
  }

  hex4(): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.buf[this.pos];
      let d: number;
      if (c !== undefined && c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c !== undefined && c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c !== undefined && c >= 0x41 && c <= 0x46) d = c - 0x37;
      else return this.fail(`unexpected ${describeByte(c)} in \\u hexadecimal character escape`);
      v = v * 16 + d;
      this.pos++;
    }
    return v;
  }

  /** A string token; pos at the opening quote. Decodes like Go's unquote. */
  string(): string {
    const b = this.buf;
    this.pos++; // opening quote
    const start = this.pos;
    // fast path: printable ASCII without escapes
    while (this.pos < b.length) {
      const c = b[this.pos]!;
      if (c === 0x22) {
        let s = '';
        for (let i = start; i < this.pos; i++) s += String.fromCharCode(b[i]!);
        this.pos++;
        return s;
      }
      if (c === 0x5c || c < 0x20 || c >= 0x80) break;
      this.pos++;
    }
    const parts: number[] = [];
    for (let i = start; i < this.pos; i++) parts.push(b[i]!);
    let out = '';
    const flush = (): void => {
      if (parts.length > 0) {
        out += String.fromCharCode(...parts);
        parts.length = 0;
      }
    };
    const pushCp = (cp: number): void => {
      if (cp <= 0xffff) parts.push(cp);
      else {
        const v = cp - 0x10000;
        parts.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
      }
      if (parts.length > 4096) flush();
    };
    for (;;) {
      if (this.pos >= b.length) this.fail('unexpected end of input in string literal');
      const c = b[this.pos]!;
      if (c === 0x22) {
        this.pos++;
        flush();
        return out;
      }
      if (c < 0x20) this.fail(`unexpected ${describeByte(c)} (control character) in string literal`);
      if (c === 0x5c) {
        this.pos++;
        const e = b[this.pos];
        this.pos++;
        switch (e) {
          case 0x22: pushCp(0x22); break;
          case 0x5c: pushCp(0x5c); break;
          case 0x2f: pushCp(0x2f); break;
          case 0x62: pushCp(0x08); break;
          case 0x66: pushCp(0x0c); break;
          case 0x6e: pushCp(0x0a); break;
          case 0x72: pushCp(0x0d); break;
          case 0x74: pushCp(0x09); break;
          case 0x75: {
            const r = this.hex4();
            if (r >= 0xd800 && r <= 0xdfff) {
              // Go: a high surrogate followed by an escaped low surrogate combines; anything
              // else (lone high, lone low, high + non-low) yields U+FFFD and consumes only the
              // first escape.
              if (r < 0xdc00 && b[this.pos] === 0x5c && b[this.pos + 1] === 0x75) {
                const save = this.pos;
                this.pos += 2;
                const r2 = this.hex4();
                if (r2 >= 0xdc00 && r2 <= 0xdfff) {
                  pushCp(0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00));
                  break;
                }
                this.pos = save;
              }
              pushCp(0xfffd);
            } else pushCp(r);
            break;
          }
          default:
            this.pos--;
            this.fail(`unexpected ${describeByte(e)} in string escape code`);
        }
        continue;
      }
      if (c < 0x80) {
        pushCp(c);
        this.pos++;
        continue;
      }
      // UTF-8 exactly as Go's utf8.DecodeRune: an invalid or truncated sequence yields U+FFFD
      // and consumes one byte.
      const [cp, size] = decodeRune(b, this.pos);
      pushCp(cp);
      this.pos += size;
    }
  }

  object(desc: Descriptor | undefined, depth: number): JsonObject {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++; // {
    const obj: JsonObject = {};
    const isMap = desc?.kind === 'map';
    const fields = desc?.kind === 'struct' ? desc.fields : undefined;
    // folded (or exact, for maps) key → the key as first sent
    const seen = new Map<string, string>();
    this.skipWs();
    if (this.buf[this.pos] === 0x7d) {
      this.pos++;
      return obj;
    }
    for (;;) {
      this.skipWs();
      if (this.buf[this.pos] !== 0x22) this.fail(`unexpected ${describeByte(this.buf[this.pos])} looking for beginning of object key string`);
      const keyPos = this.pos;
      const key = this.string();
      const id = isMap ? key : goFoldKey(key);
      const prev = seen.get(id);
      if (prev !== undefined) {
        this.pos = keyPos;
        throw new JsonRefusal(
          isMap || prev === key
            ? `duplicate key ${quoteKey(key)}`
            : `duplicate key ${quoteKey(key)} (folds with ${quoteKey(prev)})`,
        );
      }
      seen.set(id, key);
      this.skipWs();
      if (this.buf[this.pos] !== 0x3a) this.fail(`unexpected ${describeByte(this.buf[this.pos])} after object key`);
      this.pos++;
      let name = key;
      let valueDesc: Descriptor | undefined;
      if (isMap) valueDesc = (desc as Extract<Descriptor, { kind: 'map' }>).values;
      else if (fields) {
        const canonical = matchField(fields, key);
        if (canonical !== undefined) {
          name = canonical;
          valueDesc = fields[canonical];
        }
      }
      setOwn(obj, name, this.value(valueDesc, depth));
      this.skipWs();
      const c = this.buf[this.pos];
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x7d) {
        this.pos++;
        return obj;
      }
      this.fail(`unexpected ${describeByte(c)} after object key:value pair`);
    }
  }

  array(desc: Descriptor | undefined, depth: number): JsonValue[] {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++; // [
    const items = desc?.kind === 'array' ? desc.items : undefined;
    const arr: JsonValue[] = [];
    this.skipWs();
    if (this.buf[this.pos] === 0x5d) {
      this.pos++;
      return arr;
    }
    for (;;) {
      arr.push(this.value(items, depth));
      this.skipWs();
      const c = this.buf[this.pos];
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x5d) {
        this.pos++;
        return arr;
      }
      this.fail(`unexpected ${describeByte(c)} after array element`);
    }
  }
}

/** Go's utf8.DecodeRune for a non-ASCII lead byte at `i`: [rune, size]; invalid → [U+FFFD, 1]. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const c0 = b[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf): number => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi ? x & 0x3f : -1;
  };
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1);
    if (c1 >= 0) return [((c0 & 0x1f) << 6) | c1, 2];
  } else if (c0 >= 0xe0 && c0 <= 0xef) {
    // E0: A0..BF (no overlong); ED: 80..9F (no surrogates)
    const c1 = cont(1, c0 === 0xe0 ? 0xa0 : 0x80, c0 === 0xed ? 0x9f : 0xbf);
    const c2 = c1 >= 0 ? cont(2) : -1;
    if (c2 >= 0) return [((c0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  } else if (c0 >= 0xf0 && c0 <= 0xf4) {
    // F0: 90..BF (no overlong); F4: 80..8F (≤ U+10FFFF)
    const c1 = cont(1, c0 === 0xf0 ? 0x90 : 0x80, c0 === 0xf4 ? 0x8f : 0xbf);
    const c2 = c1 >= 0 ? cont(2) : -1;
    const c3 = c2 >= 0 ? cont(3) : -1;
    if (c3 >= 0) return [((c0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return [0xfffd, 1];
}

/**
 * Decodes a request body as dockerd's `json.NewDecoder(body).Decode(&v)` would for a target of
 * type `schema`, refusing every input where a lenient reading and ours could differ (see the file
 * comment). An empty (whitespace-only) body is `null`.
 */
export function decodeGoJson(bytes: Uint8Array, schema: Descriptor): GoJsonResult {
  const p = new Parser(bytes);
  try {
    p.skipWs();
    if (p.pos >= bytes.length) return { ok: true, value: null };
    const value = p.value(schema, 0);
    p.skipWs();
    if (p.pos < bytes.length) {
      return { ok: false, reason: `trailing data after the JSON value at offset ${p.pos}` };
    }
    return { ok: true, value };
  } catch (e) {
    if (e instanceof JsonRefusal) return { ok: false, reason: e.message };
    if (e instanceof RangeError) return { ok: false, reason: 'invalid JSON: too large or too deeply nested' };
    throw e;
  }
}

const NUMBER_LITERAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function serializeString(s: string): string {
  let out = '"';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      switch (c) {
        case 0x22: esc = '\\"'; break;
        case 0x5c: esc = '\\\\'; break;
        case 0x0a: esc = '\\n'; break;
        case 0x0d: esc = '\\r'; break;
        case 0x09: esc = '\\t'; break;
        default: esc = `\\u00${c.toString(16).padStart(2, '0')}`;
      }
    } else if (c === 0x2028 || c === 0x2029) {
      esc = `\\u${c.toString(16)}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a well-formed pair stays as is
        continue;
      }
      esc = '\\ufffd'; // what Go makes of a lone surrogate, written explicitly
    }
    if (esc !== null) {
      out += s.slice(last, i) + esc;
      last = i + 1;
    }
  }
  return out + s.slice(last) + '"';
}

/**
 * Compact JSON that Go's decoder reads back exactly as `v`: numbers from their literal, strings
 * escaped like Go's encoder (quotes, backslash, control characters, `<`, `>`, `&`, U+2028/2029).
 */
export function serializeJson(v: JsonValue): string {
  const parts: string[] = [];
  const walk = (x: JsonValue, depth: number): void => {
    if (depth > MAX_JSON_DEPTH + 1) throw new Error('serializeJson: value nested too deeply');
    if (x === null) parts.push('null');
    else if (x === true) parts.push('true');
    else if (x === false) parts.push('false');
    else if (typeof x === 'string') parts.push(serializeString(x));
    else if (x instanceof JsonNumber) {
      if (!NUMBER_LITERAL.test(x.literal)) throw new Error(`serializeJson: invalid number literal ${JSON.stringify(x.literal)}`);
      parts.push(x.literal);
    } else if (Array.isArray(x)) {
      parts.push('[');
      x.forEach((item, i) => {
        if (i > 0) parts.push(',');
        walk(item, depth + 1);
      });
      parts.push(']');
    } else if (typeof x === 'object') {
      parts.push('{');
      let first = true;
      for (const k of Object.keys(x)) {
        if (!first) parts.push(',');
        first = false;
        parts.push(serializeString(k), ':');
        walk(x[k]!, depth + 1);
      }
      parts.push('}');
    } else {
      throw new Error(`serializeJson: not a JsonValue (${typeof x})`);
    }
  };
  walk(v, 0);
  return parts.join('');
}
