import { isJsonObject, type JsonValue } from '../../inspect/json-value.js';
import type { CheckContext } from './context.js';
import { field, flag, listed, optObject, optStringMap, optString, q, refuse } from './util.js';

/** NetworkCreate: driver, driver options (macvlan/ipvlan `parent`, a host bridge name...), IPAM driver, config sources. */
export function checkNetworkCreate(body: JsonValue | null, ctx: CheckContext): void {
  if (body === null) return;
  if (!isJsonObject(body)) refuse('PC_DENIED_MALFORMED_BODY', 'the body is not a JSON object');
  const c = ctx.c.networks;
  const driver = optString(field(body, 'Driver'), 'Driver') ?? '';
  if (driver !== '' && !c.drivers.includes(driver)) refuse('PC_DENIED_NETWORK_DRIVER', `Driver is ${q(driver)} (allowed: ${listed(c.drivers)})`);
  for (const [key] of optStringMap(field(body, 'Options'), 'Options') ?? []) {
    if (!c.options.includes(key)) refuse('PC_DENIED_NETWORK_DRIVER', `Options sets ${q(key)} (allowed: ${listed(c.options)})`);
  }
  const ipam = optObject(field(body, 'IPAM'), 'IPAM');
  const ipamDriver = ipam === null ? '' : (optString(field(ipam, 'Driver'), 'IPAM.Driver') ?? '');
  if (ipamDriver !== '' && ipamDriver !== 'default') refuse('PC_DENIED_NETWORK_DRIVER', `IPAM.Driver is ${q(ipamDriver)} (allowed: default)`);
  const from = optObject(field(body, 'ConfigFrom'), 'ConfigFrom');
  const fromName = from === null ? '' : (optString(field(from, 'Network'), 'ConfigFrom.Network') ?? '');
  if (fromName !== '' && !c.configFrom) refuse('PC_DENIED_NETWORK_DRIVER', `ConfigFrom.Network is ${q(fromName)} (config-only networks are not allowed)`);
  if (flag(field(body, 'Ingress'), 'Ingress')) refuse('PC_DENIED_NETWORK_DRIVER', 'Ingress is true (the swarm routing-mesh network)');
}
