import type { CheckContext } from './context.js';
import { listed, q, refuse } from './util.js';

const ENTITLEMENT_PARAMS = ['allow', 'entitlements'];

/** ImageBuild: its options are query parameters (the body is the build context). */
export function checkImageBuild(query: ReadonlyMap<string, readonly string[]>, ctx: CheckContext): void {
  const c = ctx.c.build;
  for (const mode of query.get('networkmode') ?? []) {
    if (mode !== '' && !c.networkModes.includes(mode)) {
      refuse('PC_DENIED_BUILD_OPTION', `networkmode is ${q(mode)} (allowed: ${listed(c.networkModes)})`);
    }
  }
  const present = (name: string): string | undefined => (query.get(name) ?? []).find((v) => v !== '' && v !== '[]' && v !== '{}' && v !== 'null');
  const remote = query.has('remote') ? (query.get('remote')?.[0] ?? '') : undefined;
  if (remote !== undefined && !c.remote) refuse('PC_DENIED_BUILD_OPTION', `remote is ${q(remote)} (the daemon would fetch the context itself)`);
  const cg = present('cgroupparent');
  if (cg !== undefined && !c.cgroupParent) refuse('PC_DENIED_BUILD_OPTION', `cgroupparent is ${q(cg)}`);
  const hosts = present('extrahosts');
  if (hosts !== undefined && !c.extraHosts) refuse('PC_DENIED_BUILD_OPTION', `extrahosts is ${q(hosts)} (not allowed)`);
  const ulimits = present('ulimits');
  if (ulimits !== undefined && !c.ulimits) refuse('PC_DENIED_BUILD_OPTION', `ulimits is ${q(ulimits)} (not allowed)`);
  for (const param of ENTITLEMENT_PARAMS) {
    for (const raw of query.get(param) ?? []) {
      for (const ent of raw.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
        if (!c.entitlements.includes(ent)) refuse('PC_DENIED_BUILD_OPTION', `${param} asks for the entitlement ${q(ent)} (allowed: ${listed(c.entitlements)})`);
      }
    }
  }
}
