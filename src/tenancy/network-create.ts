import { isJsonObject, type JsonObject } from '../inspect/json-value.js';
import { InspectRefusal } from '../inspect/refusal.js';
import { hidden } from './refusal.js';
import { visibleNetworks, type Owner } from './visible.js';

/**
 * NetworkCreate's `ConfigFrom.Network` names a config-only network whose settings the new network
 * takes; libnetwork looks it up by exact name among all networks. It must be a network the client
 * sees, and becomes that network's daemon name.
 */
export async function pinConfigFrom(body: JsonObject, owner: Owner): Promise<JsonObject> {
  const from = Object.hasOwn(body, 'ConfigFrom') ? body['ConfigFrom'] : undefined;
  if (from === undefined || from === null) return body;
  if (!isJsonObject(from)) throw new InspectRefusal('PC_DENIED_MALFORMED_BODY', 'ConfigFrom is not an object');
  const name = Object.hasOwn(from, 'Network') ? from['Network'] : undefined;
  if (name === undefined || name === null || name === '') return body;
  if (typeof name !== 'string') throw new InspectRefusal('PC_DENIED_MALFORMED_BODY', 'ConfigFrom.Network is not a string');
  const found = (await visibleNetworks(owner)).find((n) => n.name === name);
  if (found === undefined) hidden(`configuration network "${name}" not found`, `ConfigFrom names network "${name}", which the client cannot see`);
  return { ...body, ConfigFrom: { ...from, Network: found.raw } };
}
