import type { ErrorCode } from '../../errors.js';
import { isJsonObject, type JsonObject } from '../../inspect/json-value.js';
import type { InspectRequest } from '../../inspect/types.js';
import type { Constraints } from './model.js';
import { q, refuse } from './util.js';

/** What checks share while judging one request. */
export interface CheckContext {
  readonly c: Constraints;
  readonly lookup: InspectRequest['lookup'];
  /**
   * `create`: a request body as the client sent it. `stored`: a container's inspect output, where
   * dockerd has filled in defaults (MaskedPaths, its default runtime, log driver, cgroupns mode).
   */
  readonly mode: 'create' | 'stored';
  /** how many referenced containers deep we are (container:<id>, VolumesFrom) */
  readonly depth: number;
  /** GET /info, looked up once when a stored default needs it; null when unavailable */
  info(): Promise<JsonObject | null>;
  /**
   * Checks a container this one refers to; refuses with `rule` when it would be refused.
   * `scope` `mounts` runs only the mount checks (VolumesFrom), `all` every HostConfig check.
   */
  checkReferenced(ref: string, label: string, rule: ErrorCode, scope: 'all' | 'mounts'): Promise<void>;
}

/**
 * Reads an object from the daemon. 404 is null (dockerd will answer it itself); any other
 * failure refuses with `rule` (fail closed).
 */
export async function lookupObject(ctx: CheckContext, path: string, what: string, rule: ErrorCode): Promise<JsonObject | null> {
  let res: Awaited<ReturnType<CheckContext['lookup']>>;
  try {
    res = await ctx.lookup(path);
  } catch (error) {
    refuse(rule, `cannot look up ${what}: ${(error as Error).message ?? String(error)}`);
  }
  if (res.status === 404) return null;
  if (res.status !== 200) refuse(rule, `cannot look up ${what}: the daemon answered ${res.status}`);
  if (!isJsonObject(res.body ?? undefined)) refuse(rule, `cannot look up ${what}: the daemon's answer is not a JSON object`);
  return res.body as JsonObject;
}

export function containerPath(ref: string): string {
  return '/containers/' + encodeURIComponent(ref) + '/json';
}

export function describeRef(ref: string): string {
  return `container ${q(ref)}`;
}
