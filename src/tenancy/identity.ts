import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import { InspectRefusal } from '../inspect/refusal.js';
import type { Names } from './names.js';

/**
 * Identities on a network several clients use (one shared with the client, not its own). There a
 * DNS alias is answered for every container on the network, so an alias one client sets could
 * catch another client's traffic, and a MAC or IP address it picks could be one another client's
 * container holds (or will ask for). There the container answers to its daemon name and its
 * aliases in its client's name space (both unique to the client) and its short ID, and dockerd
 * assigns addresses.
 */

function refuseIdentity(reason: string): never {
  throw new InspectRefusal('PC_TENANCY_IDENTITY', reason);
}

function set(v: JsonValue | undefined): boolean {
  if (v === undefined || v === null || v === '') return false;
  return !(Array.isArray(v) && v.length === 0);
}

function own(o: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/**
 * Endpoint settings on a shared network: aliases go into the client's name space (`<client>.<alias>`,
 * which no other client's name or alias can be; refused without name prefixes), fixed addresses are
 * refused.
 */
export function scopeSharedEndpoint(ep: JsonObject | null, where: string, names: Names): JsonObject | null {
  if (ep === null) return null;
  const out: JsonObject = { ...ep };
  const aliases = own(ep, 'Aliases');
  if (set(aliases)) {
    if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string')) throw new InspectRefusal('PC_DENIED_MALFORMED_BODY', `${where}.Aliases is not a list of strings`);
    if (names.prefix === null) refuseIdentity(`${where}.Aliases: a network shared between clients takes no aliases without name prefixes`);
    out['Aliases'] = (aliases as string[]).map((a) => names.toDaemon(a));
  }
  if (set(own(ep, 'DNSNames'))) refuseIdentity(`${where}.DNSNames: a network shared between clients takes no DNS names`);
  if (set(own(ep, 'MacAddress'))) refuseIdentity(`${where}.MacAddress: a network shared between clients takes no static MAC address`);
  const ipam = own(ep, 'IPAMConfig');
  if (ipam !== undefined && ipam !== null) {
    if (!isJsonObject(ipam)) throw new InspectRefusal('PC_DENIED_MALFORMED_BODY', `${where}.IPAMConfig is not an object`);
    for (const key of ['IPv4Address', 'IPv6Address', 'LinkLocalIPs']) {
      if (set(own(ipam, key))) refuseIdentity(`${where}.IPAMConfig.${key}: a network shared between clients takes no static address`);
    }
  }
  return out;
}

/** The container-wide MAC address (`Config.MacAddress`, before API 1.44 the primary endpoint's) on a shared network. */
export function checkSharedMac(body: JsonObject): void {
  if (set(own(body, 'MacAddress'))) refuseIdentity('MacAddress: a container on a network shared between clients takes no static MAC address');
}
