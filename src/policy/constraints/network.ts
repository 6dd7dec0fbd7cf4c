import { isJsonObject, type JsonObject, type JsonValue } from '../../inspect/json-value.js';
import type { CheckContext } from './context.js';
import { checkSysctlKey } from './host-config.js';
import type { Constraints } from './model.js';
import { dot, field, flag, listed, optObject, optStringMap, optString, q, refuse } from './util.js';

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

/** moby 27's per-interface sysctls: `net.ipv4.conf.IFNAME.forwarding=1,...`, applied to the endpoint's interface. */
const ENDPOINT_SYSCTLS = 'com.docker.network.endpoint.sysctls';

/**
 * An endpoint's DriverOpts (API 1.32, per endpoint at create since 1.44): the network driver reads them,
 * and since moby 27 the sysctls key sets sysctls that HostConfig.Sysctls would have to be allowed for.
 */
export function checkEndpointOptions(ep: JsonObject, label: string, c: Constraints): void {
  const at = `${dot(label)}DriverOpts`;
  for (const [key, value] of optStringMap(field(ep, 'DriverOpts'), at) ?? []) {
    if (key === ENDPOINT_SYSCTLS) {
      for (const item of value.split(',')) {
        const eq = item.indexOf('=');
        if (eq <= 0) refuse('PC_DENIED_SYSCTL', `${at}[${q(key)}] has ${q(item)}, not name=value`);
        checkSysctlKey(item.slice(0, eq), `${at}[${q(key)}]`, c);
      }
    } else if (!c.networks.endpointOptions.includes(key)) {
      refuse('PC_DENIED_NETWORK_DRIVER', `${at} sets ${q(key)} (allowed: ${listed(c.networks.endpointOptions)})`);
    }
  }
}

/** NetworkConnect: the endpoint's driver options (dockerd itself refuses connecting to the host network). */
export function checkNetworkConnect(body: JsonValue | null, ctx: CheckContext): void {
  if (body === null) return;
  if (!isJsonObject(body)) refuse('PC_DENIED_MALFORMED_BODY', 'the body is not a JSON object');
  const ep = optObject(field(body, 'EndpointConfig'), 'EndpointConfig');
  if (ep !== null) checkEndpointOptions(ep, 'EndpointConfig', ctx.c);
}
