import type { JsonObject } from '../../inspect/json-value.js';
import { dot, field, optString, q, refuse } from './util.js';
import { lookupObject, type CheckContext } from './context.js';
import type { NamespaceName } from './model.js';

interface ModeField {
  readonly key: string;
  readonly ns: NamespaceName;
  /** values that neither share with the host nor join another container */
  readonly safe: readonly string[];
  /** dockerd accepts `container:<id>` for this namespace */
  readonly joins: boolean;
}

const MODES: readonly ModeField[] = [
  { key: 'PidMode', ns: 'pid', safe: [''], joins: true },
  { key: 'IpcMode', ns: 'ipc', safe: ['', 'none', 'private', 'shareable'], joins: true },
  { key: 'UTSMode', ns: 'uts', safe: [''], joins: false },
  { key: 'UsernsMode', ns: 'userns', safe: [''], joins: false },
  { key: 'CgroupnsMode', ns: 'cgroupns', safe: ['', 'private'], joins: false },
];

const WELL_KNOWN_NETWORKS = new Set(['', 'default', 'bridge', 'none']);

function prefixed(value: string, prefix: string): string | null {
  return value.toLowerCase().startsWith(prefix) ? value.slice(prefix.length) : null;
}

/** `container:<id>`: allowed only when joining is allowed and the container passes the same checks. */
async function checkJoin(target: string, label: string, value: string, ctx: CheckContext): Promise<void> {
  if (!ctx.c.containerNamespaces) refuse('PC_DENIED_NAMESPACE', `${label} is ${q(value)} (joining another container's namespaces is not allowed)`);
  await ctx.checkReferenced(target, label, 'PC_DENIED_NAMESPACE', 'all');
}

/**
 * A network named by the client: the predefined `host` network can also be named by its ID, and
 * a user-defined network could use the host driver, so anything but the well-known modes is
 * looked up. 404 passes (dockerd refuses an unknown network itself).
 */
export async function checkNetworkName(name: string, label: string, ctx: CheckContext): Promise<void> {
  const allowHost = ctx.c.hostNamespaces.includes('network');
  if (name.toLowerCase() === 'host') {
    if (!allowHost) refuse('PC_DENIED_NAMESPACE', `${label} is ${q(name)} (the host's network namespace)`);
    return;
  }
  if (WELL_KNOWN_NETWORKS.has(name.toLowerCase()) || allowHost) return;
  const network = await lookupObject(ctx, '/networks/' + encodeURIComponent(name), `network ${q(name)}`, 'PC_DENIED_NAMESPACE');
  if (network === null) return;
  const driver = field(network, 'Driver');
  if (driver === 'host') refuse('PC_DENIED_NAMESPACE', `${label} is ${q(name)}, a network with the host driver (the host's network namespace)`);
}

export async function checkNamespaces(hc: JsonObject, label: string, ctx: CheckContext): Promise<void> {
  for (const m of MODES) {
    const at = `${dot(label)}${m.key}`;
    const value = optString(field(hc, m.key), at);
    if (value === null) continue;
    const lower = value.toLowerCase();
    if (m.safe.includes(lower)) continue;
    if (lower === 'host') {
      if (ctx.c.hostNamespaces.includes(m.ns)) continue;
      // On cgroup v1 dockerd's default cgroupns mode is host, and it stores the resolved mode.
      if (m.ns === 'cgroupns' && ctx.mode === 'stored') {
        const info = await ctx.info();
        if (info !== null && String(field(info, 'CgroupVersion')) === '1') continue;
      }
      refuse('PC_DENIED_NAMESPACE', `${at} is ${q(value)} (the host's ${m.ns} namespace)`);
    }
    const target = prefixed(value, 'container:');
    if (target !== null && m.joins) {
      await checkJoin(target, at, value, ctx);
      continue;
    }
    refuse('PC_DENIED_NAMESPACE', `${at} is ${q(value)}, not a mode Portcullis allows`);
  }

  const at = `${dot(label)}NetworkMode`;
  const network = optString(field(hc, 'NetworkMode'), at);
  if (network === null) return;
  const target = prefixed(network, 'container:');
  if (target !== null) return checkJoin(target, at, network, ctx);
  if (prefixed(network, 'service:') !== null) refuse('PC_DENIED_NAMESPACE', `${at} is ${q(network)} (service: targets are not allowed)`);
  await checkNetworkName(network, at, ctx);
}
