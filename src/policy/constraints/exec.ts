import { isJsonObject, type JsonValue } from '../../inspect/json-value.js';
import { checkExistingContainer } from './container.js';
import { lookupObject, type CheckContext } from './context.js';
import { field, flag, listed, optString, q, refuse } from './util.js';

/** ContainerExec (exec create): Privileged, User, and the container it runs in. */
export async function checkExecCreate(containerId: string | undefined, body: JsonValue | null, ctx: CheckContext): Promise<string | null> {
  const c = ctx.c.exec;
  if (body !== null) {
    if (!isJsonObject(body)) refuse('PC_DENIED_MALFORMED_BODY', 'the body is not a JSON object');
    if (flag(field(body, 'Privileged'), 'Privileged') && !c.privileged) refuse('PC_DENIED_EXEC_PRIVILEGED', 'Privileged is true');
    const user = optString(field(body, 'User'), 'User') ?? '';
    // An empty User runs as the container's own user, which create already judged.
    if (user !== '' && !c.users.includes('*')) {
      const name = user.split(':')[0] as string;
      if (!c.users.includes(user) && !c.users.includes(name)) refuse('PC_DENIED_EXEC_USER', `User is ${q(user)} (allowed: ${listed(c.users)})`);
    }
  }
  if (c.checkContainer && containerId !== undefined) {
    return checkExistingContainer(containerId, ctx, 'PC_DENIED_EXEC_UNSAFE', 'would be refused at create, so no exec into it');
  }
  return null;
}

/**
 * ExecStart: an exec instance is created in one request and started in another, and its ID is
 * public (ContainerInspect lists ExecIDs), so one created by another client of the daemon in a
 * container that would be refused could be started through the proxy.
 */
export async function checkExecStart(execId: string, ctx: CheckContext): Promise<void> {
  if (!ctx.c.exec.checkContainer) return;
  const exec = await lookupObject(ctx, `/exec/${encodeURIComponent(execId)}/json`, `exec ${q(execId)}`, 'PC_DENIED_EXEC_UNSAFE');
  if (exec === null) return;
  const container = optString(field(exec, 'ContainerID'), 'ContainerID') ?? '';
  if (container === '') refuse('PC_DENIED_EXEC_UNSAFE', `exec ${q(execId)} names no container`);
  await checkExistingContainer(container, ctx, 'PC_DENIED_EXEC_UNSAFE', `would be refused at create, so exec ${q(execId)} does not start in it`);
}
