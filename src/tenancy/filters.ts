import { decodeGoJson } from '../inspect/go-json.js';
import { isJsonObject, type JsonValue } from '../inspect/json-value.js';
import { ANY } from '../inspect/schemas.js';
import { InspectRefusal } from '../inspect/refusal.js';

/** A Docker `filters` value: filter name → set of values (the map form dockerd reads). */
export type FilterMap = Map<string, Set<string>>;

function bad(reason: string): never {
  throw new InspectRefusal('PC_TENANCY_FILTERS', `the filters parameter ${reason}`);
}

/**
 * Reads a `filters` value as dockerd's `filters.FromJSON` does: `""` is no filter, then the map
 * form `{"label":{"k=v":true}}`, then the legacy form `{"label":["k=v"]}`. Anything else (mixed
 * forms, other types, nulls, duplicate keys) is refused rather than guessed at.
 */
export function parseFilters(text: string): FilterMap {
  const out: FilterMap = new Map();
  if (text === '') return out;
  const decoded = decodeGoJson(Buffer.from(text, 'utf8'), { kind: 'map', values: ANY });
  if (!decoded.ok) bad(`is not JSON dockerd would read unambiguously: ${decoded.reason}`);
  const value = decoded.value;
  if (value === null) return out;
  if (!isJsonObject(value)) bad('is not a JSON object');
  const entries = Object.entries(value);
  const mapForm = entries.every(([, v]) => isJsonObject(v) && Object.values(v).every((b) => typeof b === 'boolean'));
  const legacyForm = entries.every(([, v]) => Array.isArray(v) && v.every((s) => typeof s === 'string'));
  if (!mapForm && !legacyForm) bad('is neither {"name":{"value":true}} nor {"name":["value"]}');
  for (const [name, v] of entries) {
    const values = new Set<string>(mapForm ? Object.keys(v as Record<string, JsonValue>) : (v as string[]));
    out.set(name, values);
  }
  return out;
}

/** The map form, as dockerd reads it back. */
export function serializeFilters(filters: FilterMap): string {
  const obj: Record<string, Record<string, true>> = {};
  for (const [name, values] of filters) {
    const inner: Record<string, true> = {};
    for (const v of values) inner[v] = true;
    obj[name] = inner;
  }
  return JSON.stringify(obj);
}

/**
 * The query with `label=<label>=<owner>` merged into its `filters` (label filters AND together
 * in dockerd, so the client's own filters still narrow the result). Refuses a repeated `filters`
 * parameter and one dockerd could read differently.
 */
export function withOwnerFilter(
  query: ReadonlyMap<string, readonly string[]>,
  label: string,
  owner: string,
): Map<string, readonly string[]> {
  return withFilters(query, addLabel(queryFilters(query), `${label}=${owner}`));
}

/** The `filters` of a query; refuses a repeated parameter, which dockerd would read only the first of. */
export function queryFilters(query: ReadonlyMap<string, readonly string[]>): FilterMap {
  const given = query.get('filters') ?? [];
  if (given.length > 1) bad('is given more than once');
  return parseFilters(given[0] ?? '');
}

/** `filters` with one more label filter (label filters AND together in dockerd). */
export function addLabel(filters: FilterMap, selector: string): FilterMap {
  const labels = filters.get('label') ?? new Set<string>();
  labels.add(selector);
  filters.set('label', labels);
  return filters;
}

/** The query with `filters` replaced (and the parameters in `drop` removed). */
export function withFilters(query: ReadonlyMap<string, readonly string[]>, filters: FilterMap, drop: readonly string[] = []): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const [k, v] of query) if (k !== 'filters' && !drop.includes(k)) out.set(k, v);
  out.set('filters', [serializeFilters(filters)]);
  return out;
}
