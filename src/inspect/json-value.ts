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
