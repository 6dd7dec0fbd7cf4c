import type { Operation } from '../catalogue/operation.js';
import type { InspectRequest, InspectVerdict, Inspector } from '../inspect/types.js';
import { checkContainerCreate, checkContainerUpdate, checkExistingContainer, createContext } from './constraints/container.js';
import { checkImageBuild } from './constraints/build.js';
import { ACCESS_OPS, checkContainerAccess } from './constraints/access.js';
import { checkExecCreate, checkExecStart } from './constraints/exec.js';
import { checkImageCreate } from './constraints/image.js';
import type { Constraints } from './constraints/model.js';
import { checkNetworkConnect, checkNetworkCreate } from './constraints/network.js';
import { checkServiceSpec } from './constraints/service.js';
import { refuse, Refusal } from './constraints/util.js';
import { checkVolumeCreate } from './constraints/volume.js';
import { isJsonObject } from '../inspect/json-value.js';

export { HARDENED_CONSTRAINTS, mergeConstraints, NAMESPACES, type Bound, type ConstraintOverrides, type Constraints, type NamespaceName } from './constraints/model.js';
export { constraintsSchema } from './constraints/schema.js';

/** Operations whose body (or query, or target container) the constraints judge. */
const BODY_OPS = ['ContainerCreate', 'ContainerUpdate', 'ContainerExec', 'VolumeCreate', 'NetworkCreate', 'ServiceCreate', 'ServiceUpdate', 'NetworkConnect'];
/** Judged from the query alone: the body (a build context, an image tarball) is never buffered for this. */
const QUERY_OPS = ['ImageBuild', 'ImageCreate'];
/** Judged by looking up the existing container they act on. */
const START_OPS = ['ContainerStart', 'ContainerRestart', 'ContainerUnpause'];
/** Judged by looking up the exec instance, then its container. */
const EXEC_START_OPS = ['ExecStart'];

/**
 * The inspector of a policy with constraints. `check` resolves to a refusal naming the rule
 * (`PC_DENIED_…`) and the field and value at fault, or to `{allowed: true}` (bodies are never
 * changed). Lookups that fail refuse (fail closed); a 404 lookup of the target container allows,
 * since dockerd then answers 404 itself.
 */
export function createInspector(constraints: Constraints): Inspector {
  const wanted = new Set([
    ...BODY_OPS,
    ...QUERY_OPS,
    ...(constraints.startChecks ? START_OPS : []),
    ...(constraints.accessChecks ? ACCESS_OPS : []),
    ...(constraints.exec.checkContainer ? EXEC_START_OPS : []),
  ]);
  return {
    wants(op: Operation): boolean {
      return wanted.has(op.id);
    },
    async check(req: InspectRequest): Promise<InspectVerdict> {
      if (!wanted.has(req.op.id)) return { allowed: true };
      const lookup = (path: string): ReturnType<InspectRequest['lookup']> => req.lookup(path);
      try {
        const pinned = await checkRequest(req, constraints, lookup);
        return pinned === null || pinned === undefined ? { allowed: true } : { allowed: true, params: { id: pinned } };
      } catch (error) {
        if (error instanceof Refusal) return { allowed: false, rule: error.rule, reason: error.reason };
        throw error;
      }
    },
  };
}

/** Runs the checks of one request; returns the full ID of the existing container it acts on, when it checked one. */
async function checkRequest(req: InspectRequest, c: Constraints, lookup: InspectRequest['lookup']): Promise<string | null | void> {
  const id = req.params['id'];
  switch (req.op.id) {
    case 'ContainerCreate':
      return checkContainerCreate(req.body, createContext(c, lookup, 'create'));
    case 'ContainerUpdate':
      return checkContainerUpdate(req.body, createContext(c, lookup, 'create'));
    case 'ContainerExec':
      return checkExecCreate(id, req.body, createContext(c, lookup, 'stored'));
    case 'VolumeCreate':
      return checkVolumeCreate(req.body, createContext(c, lookup, 'create'));
    case 'NetworkCreate':
      return checkNetworkCreate(req.body, createContext(c, lookup, 'create'));
    case 'NetworkConnect':
      return checkNetworkConnect(req.body, createContext(c, lookup, 'create'));
    case 'ServiceCreate':
    case 'ServiceUpdate':
      return checkServiceSpec(req.body, createContext(c, lookup, 'create'));
    case 'ImageBuild':
      return checkImageBuild(req.query, createContext(c, lookup, 'create'));
    case 'ImageCreate':
      return checkImageCreate(req.query, createContext(c, lookup, 'create'));
    case 'ExecStart':
      if (id === undefined) return;
      return checkExecStart(id, createContext(c, lookup, 'stored'));
    case 'PutContainerArchive':
    case 'ContainerArchive':
    case 'ContainerArchiveInfo':
    case 'ContainerAttach':
    case 'ContainerAttachWebsocket':
      if (id === undefined) return;
      return checkContainerAccess(req.op.id, id, createContext(c, lookup, 'stored'));
    case 'ContainerStart':
    case 'ContainerRestart':
    case 'ContainerUnpause': {
      // API < 1.24 accepted a HostConfig in the start body.
      if (req.op.id === 'ContainerStart' && req.body !== null && !(isJsonObject(req.body) && Object.keys(req.body).length === 0)) {
        refuse('PC_DENIED_LEGACY_HOSTCONFIG', 'ContainerStart has a body (a HostConfig at start, removed in API 1.24)');
      }
      if (id === undefined) return;
      return checkExistingContainer(id, createContext(c, lookup, 'stored'), 'PC_DENIED_START_UNSAFE', 'would be refused at create');
    }
  }
}
