/**
 * JSON as Portcullis checks and forwards it. Numbers keep their literal text: dockerd reads
 * int64 fields (Memory, NanoCpus…) exactly, and a round trip through a double would change
 * what is forwarded.
 */
export class JsonNumber {
  constructor(readonly literal: string) {}
  /** The value as a double, for comparisons against bounds. */
  get value(): number {
    return Number(this.literal);
  }
  toJSON(): never {
    throw new Error('JsonNumber must be serialised with serializeJson');
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A JSON object: not null, an array or a number (numbers are objects here, to keep their literal text). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** Converts JSON.parse output (used for the daemon's own answers, never for client bodies). */
export function toJsonValue(plain: unknown): JsonValue {
  if (plain === null || typeof plain === 'boolean' || typeof plain === 'string') return plain;
  if (typeof plain === 'number') return new JsonNumber(String(plain));
  if (Array.isArray(plain)) return plain.map(toJsonValue);
  if (typeof plain === 'object') {
    const out: JsonObject = {};
    // defineProperty, not assignment: a "__proto__" key must stay data, not become a prototype.
    for (const [k, v] of Object.entries(plain as Record<string, unknown>)) {
      Object.defineProperty(out, k, { value: toJsonValue(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  throw new Error(`not a JSON value: ${typeof plain}`);
}
