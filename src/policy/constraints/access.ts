import { checkExistingContainer } from './container.js';
import type { CheckContext } from './context.js';

/*
 * Copying into or out of a container, and attaching to it, act on whatever the container already
 * is: `docker cp` writes and reads through its mounts (dockerd mounts its volumes for the copy even
 * when it is stopped), so a bind of `/` made behind the proxy's back is the host's root; attaching
 * to a privileged container's shell is root on the host. So these operations get the checks a
 * create would.
 */

const WHAT: Readonly<Record<string, string>> = {
  PutContainerArchive: 'so nothing is copied into it',
  ContainerArchive: 'so nothing is copied out of it',
  ContainerArchiveInfo: 'so nothing is copied out of it',
  ContainerAttach: 'so no attaching to it',
  ContainerAttachWebsocket: 'so no attaching to it',
};

export const ACCESS_OPS: readonly string[] = Object.keys(WHAT);

export async function checkContainerAccess(opId: string, ref: string, ctx: CheckContext): Promise<string | null> {
  return checkExistingContainer(ref, ctx, 'PC_DENIED_CONTAINER_UNSAFE', `would be refused at create, ${WHAT[opId] ?? 'so no access to it'}`);
}
