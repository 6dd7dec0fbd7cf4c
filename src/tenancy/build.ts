import type { InspectRequest, InspectVerdict } from '../inspect/types.js';
import { InspectRefusal } from '../inspect/refusal.js';
import { formValue, withParam } from '../routing/query.js';
import { hidden } from './refusal.js';
import { PREDEFINED_NETWORKS, resolveContainer, resolveNetwork } from './resolve.js';
import { visibleContainers, visibleNetworks, type Owner } from './visible.js';

/**
 * ImageBuild's `networkmode` becomes the `NetworkMode` of the containers the legacy builder runs
 * each step in, so it names a network or (`container:<ref>`) a container just as a create does.
 * dockerd reads the first value (`r.FormValue`); that one is resolved within what the client
 * sees and is the only one forwarded.
 */
export async function checkBuild(req: InspectRequest, owner: Owner): Promise<InspectVerdict> {
  const mode = formValue(req.query, 'networkmode');
  if (mode === null || mode === '' || PREDEFINED_NETWORKS.has(mode)) return { allowed: true };
  if (mode.startsWith('container:')) {
    const ref = mode.slice('container:'.length);
    const c = resolveContainer(await visibleContainers(owner), ref);
    if (c === null) hidden(`No such container: ${ref}`, `networkmode names container "${ref}", which the client cannot see`);
    if (!c.owned) throw new InspectRefusal('PC_SHARED_READ_ONLY', `networkmode names container "${ref}", which is shared with the client but not its own`);
    return { allowed: true, query: withParam(req.query, 'networkmode', `container:${c.id}`) };
  }
  const n = resolveNetwork(await visibleNetworks(owner), mode);
  if (n === null) hidden(`network ${mode} not found`, `networkmode names network "${mode}", which the client cannot see`);
  return { allowed: true, query: withParam(req.query, 'networkmode', n.id) };
}
