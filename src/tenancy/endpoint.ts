import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';
import { InspectRefusal } from '../inspect/refusal.js';
import { hidden } from './refusal.js';
import { resolveContainer, resolveNetwork, type ContainerEntry, type NetworkEntry } from './resolve.js';
import type { Owner } from './visible.js';

/**
 * The references one endpoint's settings make (`NetworkingConfig.EndpointsConfig.<net>` of a
 * create, `EndpointConfig` of a network connect), pinned within what the client sees.
 *
 * dockerd reads three of its fields as references to other objects:
 * - `NetworkID`: on a user-defined network, `getNetworkID` prefers it to the map key or path
 *   parameter the endpoint belongs to (20.10 and 26.1 alike), so it would join whatever network
 *   it names. It must name the same network as the key; it is then pinned to that network's ID.
 * - `EndpointID`: cleared by dockerd as operational data, never a reference; a client has no
 *   business sending one, so a non-empty one is refused rather than trusted to stay ignored.
 * - `Links` (`name[:alias]`): libnetwork answers DNS queries for the alias with whatever the
 *   network resolves `name` to. The name must be a container the client sees, and becomes that
 *   container's daemon name, which no other client's container answers to.
 */

function refuseReference(reason: string): never {
  throw new InspectRefusal('PC_TENANCY_REFERENCE', reason);
}

function malformed(reason: string): never {
  throw new InspectRefusal('PC_DENIED_MALFORMED_BODY', reason);
}

function own(o: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** A container's daemon name, as the network's DNS knows it (no leading "/"). */
function daemonName(owner: Owner, c: ContainerEntry, ref: string, where: string): string {
  const name = c.names.find((n) => n.lastIndexOf('/') === 0);
  if (name === undefined) refuseReference(`${where} links container "${ref}", which has no name the network resolves`);
  return c.owned ? owner.names.toDaemon(name.slice(1)) : name.slice(1);
}

/**
 * Endpoint links as libnetwork's `opts.ParseLink` reads them, restricted to the plain forms a
 * client sends (`name` or `name:alias`): the legacy `/name:/parent/alias` form and anything with
 * more colons are refused, since their reading differs from the plain one.
 */
function pinLinks(owner: Owner, links: JsonValue | undefined, containers: readonly ContainerEntry[], where: string): string[] | undefined {
  if (links === undefined || links === null) return undefined;
  if (!Array.isArray(links) || !links.every((l) => typeof l === 'string')) malformed(`${where}.Links is not a list of strings`);
  return (links as string[]).map((spec) => {
    const parts = spec.split(':');
    if (spec === '' || parts.length > 2 || parts.some((p) => p === '' || p.includes('/'))) {
      refuseReference(`${where}.Links holds "${spec}", which is not "name" or "name:alias"`);
    }
    const ref = parts[0]!;
    const alias = parts[1] ?? ref;
    const found = resolveContainer(containers, ref);
    if (found === null) hidden(`No such container: ${ref}`, `${where}.Links names container "${ref}", which the client cannot see`);
    return `${daemonName(owner, found, ref, where)}:${alias}`;
  });
}

export interface EndpointContext {
  readonly owner: Owner;
  /** the network the endpoint belongs to (by its key or path parameter), or null for a predefined one */
  readonly network: NetworkEntry | null;
  readonly networks: readonly NetworkEntry[];
  /** loaded on demand: only endpoints with links need the containers */
  readonly containers: () => Promise<readonly ContainerEntry[]>;
  /** where the endpoint sits in the body, for messages */
  readonly where: string;
}

/** A copy of the endpoint settings with every reference pinned, or a refusal. */
export async function pinEndpoint(ep: JsonValue | null, ctx: EndpointContext): Promise<JsonObject | null> {
  if (ep === null) return null;
  if (!isJsonObject(ep)) malformed(`${ctx.where} is not an object`);
  const out: JsonObject = { ...ep };
  const networkId = own(ep, 'NetworkID');
  if (networkId !== undefined && networkId !== null && networkId !== '') {
    if (typeof networkId !== 'string') malformed(`${ctx.where}.NetworkID is not a string`);
    const named = resolveNetwork(ctx.networks, networkId);
    if (ctx.network === null || named === null || named.id !== ctx.network.id) {
      // dockerd would join the network NetworkID names instead of the one the key or path does.
      refuseReference(`${ctx.where}.NetworkID "${networkId}" names another network than the endpoint's own`);
    }
    out['NetworkID'] = ctx.network.id;
  }
  const endpointId = own(ep, 'EndpointID');
  if (endpointId !== undefined && endpointId !== null && endpointId !== '') {
    refuseReference(`${ctx.where}.EndpointID is set; endpoints are the daemon's to name`);
  }
  const links = own(ep, 'Links');
  if (links !== undefined && links !== null && !(Array.isArray(links) && links.length === 0)) {
    const pinned = pinLinks(ctx.owner, links, await ctx.containers(), ctx.where);
    if (pinned !== undefined) out['Links'] = pinned;
  }
  return out;
}
