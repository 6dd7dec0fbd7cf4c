import type { JsonValue } from '../inspect/json-value.js';
import { JsonNumber } from '../inspect/json-value.js';
import type { InspectRequest } from '../inspect/types.js';
import { ownerFilter } from './filters.js';
import { lookupFailed } from './refusal.js';
import type { ContainerEntry, NetworkEntry } from './resolve.js';

/** Who is asking and how ownership is marked: what every visible-set look-up needs. */
export interface Owner {
  readonly label: string;
  readonly client: string;
  readonly lookup: InspectRequest['lookup'];
}

type Obj = Record<string, JsonValue>;

function isObj(v: JsonValue | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

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

export function ownedFilterQuery(owner: Owner): string {
  return encodeURIComponent(ownerFilter(owner.label, owner.client));
}

function containerEntries(body: JsonValue, what: string): ContainerEntry[] {
  if (!Array.isArray(body)) lookupFailed(`cannot list ${what}: the daemon's answer is not a list`);
  return body.map((c) => {
    const id = isObj(c) ? str(c['Id']) : null;
    if (!isObj(c) || id === null) lookupFailed(`cannot list ${what}: an entry has no Id`);
    const names = Array.isArray(c['Names']) ? c['Names'].filter((n): n is string => typeof n === 'string') : [];
    return { id, names };
  });
}

/** Every container the client owns, in any state (no cache: the daemon's state now). */
export async function ownedContainers(owner: Owner): Promise<ContainerEntry[]> {
  const body = await list(owner, `/containers/json?all=1&filters=${ownedFilterQuery(owner)}`, 'the containers of the client');
  return containerEntries(body, 'the containers of the client');
}

/** Every container, of any owner, whose names include exactly `/<name>`. */
export async function containersNamed(owner: Owner, name: string): Promise<ContainerEntry[]> {
  const anchored = '^/' + name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';
  const filters = encodeURIComponent(JSON.stringify({ name: { [anchored]: true } }));
  const body = await list(owner, `/containers/json?all=1&filters=${filters}`, `containers named "${name}"`);
  // The name filter is a regular expression in dockerd: match exactly here whatever it returned.
  return containerEntries(body, `containers named "${name}"`).filter((c) => c.names.includes('/' + name));
}

export async function ownedNetworks(owner: Owner): Promise<NetworkEntry[]> {
  const body = await list(owner, `/networks?filters=${ownedFilterQuery(owner)}`, 'the networks of the client');
  if (!Array.isArray(body)) lookupFailed("cannot list the networks of the client: the daemon's answer is not a list");
  return body.map((n) => {
    const id = isObj(n) ? str(n['Id']) : null;
    const name = isObj(n) ? str(n['Name']) : null;
    if (id === null || name === null) lookupFailed('cannot list the networks of the client: an entry has no Id or Name');
    return { id, name };
  });
}

export async function ownedVolumes(owner: Owner): Promise<string[]> {
  const body = await list(owner, `/volumes?filters=${ownedFilterQuery(owner)}`, 'the volumes of the client');
  const volumes = isObj(body ?? undefined) ? (body as Obj)['Volumes'] : undefined;
  if (volumes === null) return [];
  if (!Array.isArray(volumes)) lookupFailed("cannot list the volumes of the client: the daemon's answer has no Volumes list");
  return volumes.map((v) => {
    const name = isObj(v) ? str(v['Name']) : null;
    if (name === null) lookupFailed('cannot list the volumes of the client: an entry has no Name');
    return name;
  });
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
  if (res.status !== 200 || !isObj(res.body ?? undefined)) lookupFailed(`cannot look up exec instance: the daemon answered ${res.status}`);
  const id = str((res.body as Obj)['ContainerID']);
  if (id === null) lookupFailed('cannot look up exec instance: the answer has no ContainerID');
  return id;
}
