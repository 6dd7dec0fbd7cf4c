import { z } from 'zod';
import type { Operation } from '../catalogue/operation.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import type { InspectVerdict, Inspector } from '../inspect/types.js';

/**
 * Redaction of container inspect answers: `env` empties `Config.Env` (docker-proxy-filter's
 * SCRUB_ENVS — environment variables are where secrets usually sit), and `paths` removes the
 * named fields (dot-separated, from the top of the inspect document, e.g. `Config.Labels`).
 */
export interface Redaction {
  readonly env: boolean;
  readonly paths: readonly string[];
}

export type RedactionOverrides = Partial<Redaction>;

const PATH = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

export const redactionSchema = z.strictObject({
  env: z.enum(['true', 'false'], 'must be true or false').transform((s) => s === 'true').optional(),
  paths: z.array(z.string().regex(PATH, 'must be a dot-separated path of field names, e.g. Config.Labels')).optional(),
});

/** Merges along `extends`, base first: later keys win. Null when nothing is redacted. */
export function mergeRedaction(...overrides: RedactionOverrides[]): Redaction | null {
  let env = false;
  let paths: readonly string[] = [];
  for (const o of overrides) {
    if (o.env !== undefined) env = o.env;
    if (o.paths !== undefined) paths = o.paths;
  }
  return env || paths.length > 0 ? { env, paths } : null;
}

/** A copy of `doc` without the field at `path` (parents copied on the way down). */
function without(doc: JsonObject, path: readonly string[]): JsonObject {
  const [head, ...rest] = path as [string, ...string[]];
  if (!Object.hasOwn(doc, head)) return doc;
  const copy: JsonObject = { ...doc };
  if (rest.length === 0) {
    delete copy[head];
    return copy;
  }
  const child = doc[head];
  if (isJsonObject(child)) copy[head] = without(child, rest);
  return copy;
}

export function redact(doc: JsonValue, r: Redaction): JsonValue {
  if (!isJsonObject(doc)) return doc;
  let out = doc;
  if (r.env && isJsonObject(out['Config']) && Object.hasOwn(out['Config'], 'Env')) {
    out = { ...out, Config: { ...out['Config'], Env: [] } };
  }
  for (const p of r.paths) out = without(out, p.split('.'));
  return out;
}

const REDACTED_OPS = new Set(['ContainerInspect']);

export function createRedactionInspector(r: Redaction): Inspector {
  const response = (body: JsonValue): JsonValue => redact(body, r);
  const verdict: InspectVerdict = { allowed: true, response };
  return {
    wants: (op: Operation) => REDACTED_OPS.has(op.id),
    check: () => verdict,
  };
}
