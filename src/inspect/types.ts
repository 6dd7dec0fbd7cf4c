import type { Operation } from '../catalogue/operation.js';
import type { ErrorCode } from '../errors.js';
import type { JsonValue } from './json-value.js';

/** What a body/pre-flight inspection sees of an allowed request. */
export interface InspectRequest {
  readonly op: Operation;
  readonly method: string;
  /** canonical path without version prefix */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: ReadonlyMap<string, readonly string[]>;
  /** canonical API version of the prefix, or null */
  readonly version: string | null;
  /** who is asking (the client name once identities exist; the listener name until then) */
  readonly client: string;
  /**
   * The body decoded as dockerd decodes it (Go encoding/json: struct keys matched
   * case-insensitively and renamed to the spec's spelling), or null when there is none.
   * Inspectors may return a changed copy to forward instead.
   */
  readonly body: JsonValue | null;
  /**
   * Reads an object from the daemon on a separate connection (e.g. `/containers/{id}/json`);
   * `DELETE` only from a confirm, to undo what the daemon did for a request it then refuses.
   */
  lookup(path: string, method?: 'GET' | 'DELETE'): Promise<{ status: number; body: JsonValue | null }>;
}

export type InspectVerdict =
  | {
      readonly allowed: true;
      /** a changed body to forward instead of the decoded one */
      readonly body?: JsonValue;
      /** path parameters to forward instead of the client's (a reference pinned to the object that was checked) */
      readonly params?: Readonly<Record<string, string>>;
      /** query parameters to forward instead of the client's (e.g. with an ownership filter added) */
      readonly query?: ReadonlyMap<string, readonly string[]>;
      /** rewrites a successful JSON answer before the client sees it (e.g. redaction) */
      readonly response?: (body: JsonValue) => JsonValue;
      /**
       * Filters a stream of JSON values (the events stream) one value at a time: null drops the
       * event, anything else is sent instead of it.
       */
      readonly events?: (event: JsonValue) => JsonValue | null;
      /**
       * Runs once the daemon has answered, before the client sees the answer (held whole): it
       * may undo what the daemon did and have the client refused instead. It runs to its end even
       * when the client leaves, so what it undoes is undone.
       */
      readonly confirm?: Confirm;
    }
  | {
      readonly allowed: false;
      readonly rule: string;
      readonly reason: string;
      readonly status?: number;
      /**
       * The whole message the client gets, instead of `portcullis: <op> denied: …`: for answers
       * that must read like dockerd's own (a hidden object is "No such container: <ref>").
       */
      readonly message?: string;
    };

export interface Inspector {
  /** True when `op` must be inspected: the proxy then reads the whole body before forwarding. */
  wants(op: Operation): boolean;
  check(req: InspectRequest): InspectVerdict | Promise<InspectVerdict>;
}

/** The daemon's answer as a confirm sees it. */
export interface DaemonAnswer {
  readonly status: number;
  /** the JSON body, or null when there is none or it is not JSON */
  readonly body: JsonValue | null;
}

/** What a confirm decides: pass the answer on, or answer the client with a refusal instead. */
export type Confirmed = { readonly ok: true } | { readonly ok: false; readonly rule: ErrorCode; readonly status: number; readonly reason: string };

export type Confirm = (answer: DaemonAnswer) => Promise<Confirmed>;
