import { isJsonObject, type JsonObject, type JsonValue } from '../../inspect/json-value.js';
import type { CheckContext } from './context.js';
import { allInterfacesAllowed, checkBound, checkCapAdd, checkHostPort, checkLogDriver, checkSysctls, securityOptProblem } from './host-config.js';
import { checkMountList } from './mounts.js';
import { checkNetworkName } from './namespaces.js';
import { field, flag, listed, matchesItem, optArray, optNumber, optObject, optString, q, refuse } from './util.js';

/** A swarm privilege setting is allowed when the equivalent SecurityOpt item would be. */
function securityEquivalent(item: string, label: string, ctx: CheckContext): void {
  if (ctx.c.securityOpt.some((a) => matchesItem(item, a))) return;
  const problem = securityOptProblem(item);
  if (problem !== null) refuse(problem.rule, `${label} (like SecurityOpt ${q(item)}: ${problem.why})`);
}

function checkPrivileges(p: JsonObject, label: string, ctx: CheckContext): void {
  const se = optObject(field(p, 'SELinuxContext'), `${label}.SELinuxContext`);
  if (se !== null) {
    if (flag(field(se, 'Disable'), `${label}.SELinuxContext.Disable`)) securityEquivalent('label=disable', `${label}.SELinuxContext.Disable is true`, ctx);
    const type = optString(field(se, 'Type'), `${label}.SELinuxContext.Type`) ?? '';
    if (type !== '') securityEquivalent(`label=type:${type}`, `${label}.SELinuxContext.Type is ${q(type)}`, ctx);
  }
  const seccomp = optObject(field(p, 'Seccomp'), `${label}.Seccomp`);
  const mode = seccomp === null ? '' : (optString(field(seccomp, 'Mode'), `${label}.Seccomp.Mode`) ?? '');
  if (mode === 'unconfined') securityEquivalent('seccomp=unconfined', `${label}.Seccomp.Mode is "unconfined"`, ctx);
  else if (mode !== '' && mode !== 'default') securityEquivalent('seccomp={custom}', `${label}.Seccomp.Mode is ${q(mode)}`, ctx);
  const apparmor = optObject(field(p, 'AppArmor'), `${label}.AppArmor`);
  const aa = apparmor === null ? '' : (optString(field(apparmor, 'Mode'), `${label}.AppArmor.Mode`) ?? '');
  if (aa !== '' && aa !== 'default') securityEquivalent('apparmor=unconfined', `${label}.AppArmor.Mode is ${q(aa)}`, ctx);
}

async function checkNetworks(v: JsonValue | undefined, label: string, ctx: CheckContext): Promise<void> {
  for (const [i, n] of (optArray(v, label) ?? []).entries()) {
    const net = optObject(n, `${label}[${i}]`);
    const target = net === null ? null : optString(field(net, 'Target'), `${label}[${i}].Target`);
    if (target !== null && target !== '') await checkNetworkName(target, `${label}[${i}].Target`, ctx);
  }
}

/** ServiceCreate / ServiceUpdate: the ServiceSpec's container, resources, networks and published ports. */
export async function checkServiceSpec(body: JsonValue | null, ctx: CheckContext): Promise<void> {
  if (body === null) return;
  if (!isJsonObject(body)) refuse('PC_DENIED_MALFORMED_BODY', 'the body is not a JSON object');
  const c = ctx.c;
  const tt = optObject(field(body, 'TaskTemplate'), 'TaskTemplate');
  if (tt !== null) {
    if (optObject(field(tt, 'PluginSpec'), 'TaskTemplate.PluginSpec') !== null) {
      refuse('PC_DENIED_RUNTIME', 'TaskTemplate.PluginSpec is set (a plugin runs with the privileges it asks for)');
    }
    const runtime = optString(field(tt, 'Runtime'), 'TaskTemplate.Runtime') ?? '';
    if (runtime !== '' && runtime !== 'container') refuse('PC_DENIED_RUNTIME', `TaskTemplate.Runtime is ${q(runtime)} (allowed: container)`);
    const cs = optObject(field(tt, 'ContainerSpec'), 'TaskTemplate.ContainerSpec');
    if (cs !== null) {
      const l = 'TaskTemplate.ContainerSpec';
      const priv = optObject(field(cs, 'Privileges'), `${l}.Privileges`);
      if (priv !== null) checkPrivileges(priv, `${l}.Privileges`, ctx);
      checkCapAdd(field(cs, 'CapabilityAdd'), `${l}.CapabilityAdd`, c);
      checkSysctls(field(cs, 'Sysctls'), `${l}.Sysctls`, c);
      checkMountList(field(cs, 'Mounts'), `${l}.Mounts`, ctx);
    }
    const res = optObject(field(tt, 'Resources'), 'TaskTemplate.Resources');
    const limits = res === null ? null : optObject(field(res, 'Limits'), 'TaskTemplate.Resources.Limits');
    if (limits !== null || c.memory.required || c.pidsLimit.required) {
      checkBound(limits === null ? undefined : field(limits, 'MemoryBytes'), 'TaskTemplate.Resources.Limits.MemoryBytes', c.memory, true, (n) => n <= 0n);
      checkBound(limits === null ? undefined : field(limits, 'Pids'), 'TaskTemplate.Resources.Limits.Pids', c.pidsLimit, false, (n) => n <= 0n);
    }
    const log = optObject(field(tt, 'LogDriver'), 'TaskTemplate.LogDriver');
    if (log !== null) await checkLogDriver(optString(field(log, 'Name'), 'TaskTemplate.LogDriver.Name'), 'TaskTemplate.LogDriver.Name', ctx);
    await checkNetworks(field(tt, 'Networks'), 'TaskTemplate.Networks', ctx);
  }
  await checkNetworks(field(body, 'Networks'), 'Networks', ctx);
  const ep = optObject(field(body, 'EndpointSpec'), 'EndpointSpec');
  const ports = ep === null ? null : optArray(field(ep, 'Ports'), 'EndpointSpec.Ports');
  ports?.forEach((p, i) => {
    const at = `EndpointSpec.Ports[${i}]`;
    const port = optObject(p, at);
    if (port === null) return;
    // Swarm publishes on every interface of every node, in ingress and host mode alike.
    if (!allInterfacesAllowed(c)) refuse('PC_DENIED_PORT_BINDING', `${at} publishes a port on all interfaces (allowed host IPs: ${listed(c.portBindings.hostIps)})`);
    const published = optNumber(field(port, 'PublishedPort'), `${at}.PublishedPort`);
    if (published !== null) checkHostPort(String(published), `${at}.PublishedPort`, c);
  });
}
