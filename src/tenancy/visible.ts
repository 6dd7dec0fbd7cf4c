import { isJsonObject, type JsonValue } from '../inspect/json-value.js';
import type { InspectRequest } from '../inspect/types.js';
import { serializeFilters } from './filters.js';
import { lookupFailed } from './refusal.js';
import type { Names } from './names.js';
import type { ContainerEntry, NetworkEntry, VolumeEntry } from './resolve.js';

/** Who is asking, how ownership is marked and what else the policy shares: what every look-up needs. */
export interface Owner {
  readonly label: string;
  readonly client: string;
  readonly lookup: InspectRequest['lookup'];
  readonly names: Names;
  /** label selectors of shared objects (`[key, null]`: has the key) */
  readonly shared: readonly (readonly [string, string | null])[];
}

type Obj = Record<string, JsonValue>;

async function list(owner: Owner, path: string, what: string): Promise<JsonValue> {
  let res: Awaited<ReturnType<Owner['lookup']>>;
  try {
    res = await owner.lookup(path);
  } catch (error) {
    lookupFailed(`cannot list ${what}: ${(error as Error).message ?? String(error)}`);
  }
  if (res.status !== 200) lookupFailed(`cannot list ${what}: the daemon answered ${res.status}`);
  return res.body;
}

function str(v: JsonValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

/** The label filters that select what the client may see: its own objects first, then each shared selector. */
function selectors(owner: Owner): string[] {
  return [`${owner.label}=${owner.client}`, ...owner.shared.map(([k, v]) => (v === null ? k : `${k}=${v}`))];
}

function labelQuery(selector: string): string {
  return encodeURIComponent(serializeFilters(new Map([['label', new Set([selector])]])));
}

/** True when `labels` (an object's labels, or an event's attributes) make it visible; `owned` when they make it the client's. */
export function visibility(owner: Owner, labels: JsonValue | undefined): { visible: boolean; owned: boolean } {
  if (!isJsonObject(labels)) return { visible: false, owned: false };
  const has = (k: string): boolean => Object.hasOwn(labels, k) && typeof labels[k] === 'string';
  if (has(owner.label) && labels[owner.label] === owner.client) return { visible: true, owned: true };
  const shared = owner.shared.some(([k, v]) => has(k) && (v === null || labels[k] === v));
  return { visible: shared, owned: false };
}

/**
 * Every object of one kind the client may see: one label-filtered list per selector (dockerd
 * matches `label=k` and `label=k=v` exactly as the selectors mean them), own objects first so a
 * name both an own and a shared object answer to resolves to the own one.
 */
async function collect<T extends { readonly owned: boolean }>(
  owner: Owner,
  path: (query: string) => string,
  what: string,
  read: (body: JsonValue, owned: boolean) => T[],
  key: (t: T) => string,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  const lists = selectors(owner);
  for (let i = 0; i < lists.length; i++) {
    const body = await list(owner, path(labelQuery(lists[i]!)), what);
    for (const t of read(body, i === 0)) {
      if (seen.has(key(t))) continue;
      seen.add(key(t));
      out.push(t);
    }
  }
  return out;
}

function containerEntries(owner: Owner, body: JsonValue, what: string, owned: boolean): ContainerEntry[] {
  if (!Array.isArray(body)) lookupFailed(`cannot list ${what}: the daemon's answer is not a list`);
  return body.map((c) => {
    const id = isJsonObject(c) ? str(c['Id']) : null;
    if (!isJsonObject(c) || id === null) lookupFailed(`cannot list ${what}: an entry has no Id`);
    const raw = Array.isArray(c['Names']) ? c['Names'].filter((n): n is string => typeof n === 'string') : [];
    return { id, names: owned ? raw.map((n) => owner.names.pathToClient(n)) : raw, owned };
  });
}

/** Every container the client may see (own and shared), in any state: the daemon's state now, no cache. */
export async function visibleContainers(owner: Owner): Promise<ContainerEntry[]> {
  const what = 'the containers of the client';
  return collect(owner, (q) => `/containers/json?all=1&filters=${q}`, what, (b, owned) => containerEntries(owner, b, what, owned), (c) => c.id);
}

/** Every container, of any owner, whose names include exactly `/<raw>` (a daemon name). */
export async function containersNamed(owner: Owner, raw: string): Promise<{ id: string }[]> {
  const anchored = '^/' + raw.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';
  const filters = encodeURIComponent(JSON.stringify({ name: { [anchored]: true } }));
  const what = `containers named "${raw}"`;
  const body = await list(owner, `/containers/json?all=1&filters=${filters}`, what);
  // The name filter is a regular expression in dockerd: match exactly here whatever it returned.
  return containerEntries(owner, body, what, false).filter((c) => c.names.includes('/' + raw));
}

export async function visibleNetworks(owner: Owner): Promise<NetworkEntry[]> {
  const what = 'the networks of the client';
  const read = (body: JsonValue, owned: boolean): NetworkEntry[] => {
    if (!Array.isArray(body)) lookupFailed(`cannot list ${what}: the daemon's answer is not a list`);
    return body.map((n) => {
      const id = isJsonObject(n) ? str(n['Id']) : null;
      const raw = isJsonObject(n) ? str(n['Name']) : null;
      if (id === null || raw === null) lookupFailed(`cannot list ${what}: an entry has no Id or Name`);
      return { id, name: owned ? owner.names.toClient(raw) : raw, raw, owned };
    });
  };
  return collect(owner, (q) => `/networks?filters=${q}`, what, read, (n) => n.id);
}

export async function visibleVolumes(owner: Owner): Promise<VolumeEntry[]> {
  const what = 'the volumes of the client';
  const read = (body: JsonValue, owned: boolean): VolumeEntry[] => {
    const volumes = isJsonObject(body ?? undefined) ? (body as Obj)['Volumes'] : undefined;
    if (volumes === null) return [];
    if (!Array.isArray(volumes)) lookupFailed(`cannot list ${what}: the daemon's answer has no Volumes list`);
    return volumes.map((v) => {
      const raw = isJsonObject(v) ? str(v['Name']) : null;
      if (raw === null) lookupFailed(`cannot list ${what}: an entry has no Name`);
      return { name: owned ? owner.names.toClient(raw) : raw, raw, owned };
    });
  };
  return collect(owner, (q) => `/volumes?filters=${q}`, what, read, (v) => v.raw);
}

/** The container an exec instance runs in, or null when dockerd knows no such exec (exact IDs only). */
export async function execContainer(owner: Owner, execId: string): Promise<string | null> {
  let res: Awaited<ReturnType<Owner['lookup']>>;
  try {
    res = await owner.lookup(`/exec/${encodeURIComponent(execId)}/json`);
  } catch (error) {
    lookupFailed(`cannot look up exec instance: ${(error as Error).message ?? String(error)}`);
  }
  if (res.status === 404) return null;
  if (res.status !== 200 || !isJsonObject(res.body ?? undefined)) lookupFailed(`cannot look up exec instance: the daemon answered ${res.status}`);
  const id = str((res.body as Obj)['ContainerID']);
  if (id === null) lookupFailed('cannot look up exec instance: the answer has no ContainerID');
  return id;
}
