import { normalizeGoCapability } from '../../inspect/go-parse/capability.js';
import { runcSysctlName } from '../../inspect/go-parse/sysctl.js';
import { parseSecurityOpt } from '../../inspect/go-parse/security-opt.js';
import { goIpEqual, goIpUnspecified, parseGoIp, type GoIp } from '../../inspect/go-parse/ip.js';
import { parseHostPort, parsePortRange } from '../../inspect/go-parse/port.js';
import type { JsonObject } from '../../inspect/json-value.js';
import type { CheckContext } from './context.js';
import type { Bound, Constraints } from './model.js';
import {
  dot,
  field,
  flag,
  formatBytes,
  listed,
  matchesItem,
  normalizeHostPath,
  optArray,
  optInt64,
  optObject,
  optString,
  optStringMap,
  optStrings,
  q,
  refuse,
  shown,
} from './util.js';

/* Checks of single HostConfig concepts, shared by ContainerCreate, ContainerUpdate, stored
 * containers (start) and, where the concept exists there, swarm services. `label` is the field's
 * path in the request, used in the reason. */

export function checkPrivileged(v: JsonObject[string] | undefined, label: string, c: Constraints): void {
  if (flag(v, label) && !c.privileged) refuse('PC_DENIED_PRIVILEGED', `${label} is true`);
}

/**
 * Each CapAdd entry as dockerd reads it (`cap_sys_admin`, `CAP_SYS_ADMIN` and `SYS_ADMIN` are the
 * same capability; `" SYS_ADMIN"` is none). The policy's own list is the administrator's text,
 * read the same way after trimming.
 */
export function checkCapAdd(v: JsonObject[string] | undefined, label: string, c: Constraints): void {
  const caps = optStrings(v, label);
  if (caps === null) return;
  const allowed = new Set(c.capAdd.map((a) => normalizeGoCapability(a.trim())).filter((x) => x !== null && x !== 'ALL'));
  const shownAllowed = listed([...allowed].map((a) => (a as string).slice(4)));
  for (const cap of caps) {
    const name = normalizeGoCapability(cap);
    if (name === null || name === 'ALL' || !allowed.has(name)) {
      refuse('PC_DENIED_CAP_ADD', `${label} contains ${q(cap)} (allowed: ${shownAllowed})`);
    }
  }
}

export function checkDevices(o: JsonObject, label: string, c: Constraints): void {
  const devices = optArray(field(o, 'Devices'), `${dot(label)}Devices`);
  const allowed = c.devices.map(normalizeHostPath);
  devices?.forEach((d, i) => {
    const at = `${dot(label)}Devices[${i}]`;
    const dev = optObject(d, at);
    if (dev === null) return;
    const host = optString(field(dev, 'PathOnHost'), `${at}.PathOnHost`) ?? '';
    if (!allowed.includes(normalizeHostPath(host))) {
      refuse('PC_DENIED_DEVICE', `${at}.PathOnHost is ${q(host)} (allowed: ${listed(c.devices)})`);
    }
  });
  const rules = optStrings(field(o, 'DeviceCgroupRules'), `${dot(label)}DeviceCgroupRules`);
  rules?.forEach((r, i) => {
    if (!c.deviceCgroupRules.includes(r)) {
      refuse('PC_DENIED_DEVICE', `${dot(label)}DeviceCgroupRules[${i}] is ${q(r)} (allowed: ${listed(c.deviceCgroupRules)})`);
    }
  });
  const requests = optArray(field(o, 'DeviceRequests'), `${dot(label)}DeviceRequests`);
  requests?.forEach((r, i) => {
    const at = `${dot(label)}DeviceRequests[${i}]`;
    const req = optObject(r, at);
    if (req === null) return;
    const driver = optString(field(req, 'Driver'), `${at}.Driver`) ?? '';
    if (driver !== '') {
      if (!c.deviceRequests.includes(driver)) refuse('PC_DENIED_DEVICE', `${at}.Driver is ${q(driver)} (allowed: ${listed(c.deviceRequests)})`);
      return;
    }
    // No driver: dockerd picks one by capability (`--gpus` sends [["gpu"]]).
    const groups = optArray(field(req, 'Capabilities'), `${at}.Capabilities`) ?? [];
    const names = groups.flatMap((g, j) => optStrings(g, `${at}.Capabilities[${j}]`) ?? []);
    if (names.length === 0 || !names.some((n) => c.deviceRequests.includes(n))) {
      refuse('PC_DENIED_DEVICE', `${at} asks for devices with capabilities ${q(names.join(','))} (allowed: ${listed(c.deviceRequests)})`);
    }
  });
}

export function checkCgroup(o: JsonObject, label: string, c: Constraints): void {
  if (c.cgroupParent) return;
  for (const key of ['Cgroup', 'CgroupParent']) {
    const v = optString(field(o, key), `${dot(label)}${key}`);
    if (v !== null && v !== '') refuse('PC_DENIED_CGROUP', `${dot(label)}${key} is ${q(v)}`);
  }
}

/** Why a SecurityOpt item, read as dockerd reads it, weakens confinement; null when it is harmless. */
export function securityOptProblem(item: string): { rule: 'PC_DENIED_SECURITY_OPT' | 'PC_DENIED_MASKED_PATHS' | 'PC_DENIED_CGROUP'; why: string } | null {
  const opt = parseSecurityOpt(item);
  if (opt === null) {
    // The docker CLI turns `systempaths=unconfined` into empty MaskedPaths and ReadonlyPaths.
    if (item.startsWith('systempaths')) return { rule: 'PC_DENIED_MASKED_PATHS', why: 'unmasks /proc and /sys paths' };
    return { rule: 'PC_DENIED_SECURITY_OPT', why: 'is not a security option as dockerd reads them (exact key, `=` or `:`, no spaces)' };
  }
  switch (opt.key) {
    case 'no-new-privileges':
      return null;
    case 'writable-cgroups':
      return opt.on ? { rule: 'PC_DENIED_CGROUP', why: 'makes the cgroup filesystem writable' } : null;
    case 'seccomp':
      if (opt.value === 'builtin') return null;
      if (opt.value === 'unconfined') return { rule: 'PC_DENIED_SECURITY_OPT', why: 'disables seccomp' };
      return { rule: 'PC_DENIED_SECURITY_OPT', why: 'is a custom seccomp profile, which cannot be checked' };
    case 'apparmor':
      if (opt.value === '') return { rule: 'PC_DENIED_SECURITY_OPT', why: 'names no AppArmor profile' };
      if (opt.value === 'unconfined') return { rule: 'PC_DENIED_SECURITY_OPT', why: 'disables AppArmor' };
      return null;
    case 'label': {
      // go-selinux InitLabels: `disable`, or `<option>:<value>` with the option matched exactly.
      if (opt.value === 'disable') return { rule: 'PC_DENIED_SECURITY_OPT', why: 'disables SELinux labelling' };
      const sub = opt.value.slice(0, opt.value.indexOf(':') + 1);
      if (['user:', 'role:', 'level:', 'filetype:'].includes(sub)) return null;
      if (sub === 'type:') return { rule: 'PC_DENIED_SECURITY_OPT', why: 'sets the SELinux type (spc_t and unconfined_t are unconfined)' };
      return { rule: 'PC_DENIED_SECURITY_OPT', why: 'is not a known SELinux label option' };
    }
  }
}

export function checkSecurityOpt(v: JsonObject[string] | undefined, label: string, c: Constraints): void {
  const items = optStrings(v, label);
  items?.forEach((item, i) => {
    if (c.securityOpt.some((a) => matchesItem(item, a))) return;
    const problem = securityOptProblem(item);
    if (problem === null) return;
    if (problem.rule === 'PC_DENIED_MASKED_PATHS' && c.maskedPaths) return;
    refuse(problem.rule, `${label}[${i}] is ${shown(item)} (${problem.why})`);
  });
}

/** What dockerd masks and makes read-only by default since 20.10 (later versions add to both). */
const DEFAULT_MASKED = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
const DEFAULT_READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function checkMaskedPaths(o: JsonObject, label: string, ctx: CheckContext): void {
  if (ctx.c.maskedPaths) return;
  for (const [key, defaults] of [['MaskedPaths', DEFAULT_MASKED], ['ReadonlyPaths', DEFAULT_READONLY]] as const) {
    const at = `${dot(label)}${key}`;
    const paths = optStrings(field(o, key), at);
    // null: dockerd applies its defaults.
    if (paths === null) continue;
    if (ctx.mode === 'create') {
      refuse('PC_DENIED_MASKED_PATHS', `${at} is set (${paths.length === 0 ? 'an empty list' : `${paths.length} paths`}); leave it to dockerd's defaults`);
    }
    // A stored container carries the defaults dockerd filled in; each must still be there.
    const missing = defaults.find((d) => !paths.includes(d));
    if (missing !== undefined) refuse('PC_DENIED_MASKED_PATHS', `${at} does not contain ${q(missing)}`);
  }
}

export async function checkRuntime(v: JsonObject[string] | undefined, label: string, ctx: CheckContext): Promise<void> {
  const runtime = optString(v, label);
  if (runtime === null || runtime === '' || ctx.c.runtimes.includes(runtime)) return;
  if (ctx.mode === 'stored') {
    const info = await ctx.info();
    if (info !== null && field(info, 'DefaultRuntime') === runtime) return;
  }
  refuse('PC_DENIED_RUNTIME', `${label} is ${q(runtime)} (allowed: ${listed(ctx.c.runtimes)})`);
}

export function checkSysctls(v: JsonObject[string] | undefined, label: string, c: Constraints): void {
  const entries = optStringMap(v, label);
  for (const [key] of entries ?? []) checkSysctlKey(key, label, c);
}

export function checkSysctlKey(key: string, label: string, c: Constraints): void {
  // runc accepts both spellings; compare in the dotted form runc uses.
  const dotted = runcSysctlName(key);
  if (!c.sysctls.some((a) => matchesItem(dotted, a))) {
    refuse('PC_DENIED_SYSCTL', `${label} sets ${q(key)} (allowed: ${listed(c.sysctls)})`);
  }
}

export function checkOomKillDisable(o: JsonObject, label: string, c: Constraints): void {
  if (flag(field(o, 'OomKillDisable'), `${dot(label)}OomKillDisable`) && !c.oomKillDisable) {
    refuse('PC_DENIED_OOM_KILL_DISABLE', `${dot(label)}OomKillDisable is true`);
  }
}

/**
 * A numeric bound on an int64 field, read exactly as Go decodes it; `unlimited` are the values that
 * mean no limit for the field.
 */
export function checkBound(v: JsonObject[string] | undefined, label: string, bound: Bound, bytes: boolean, unlimited: (n: bigint) => boolean): void {
  if (bound.max === null && !bound.required) return;
  const n = optInt64(v, label);
  const show = (x: bigint): string => (bytes && x <= BigInt(Number.MAX_SAFE_INTEGER) ? formatBytes(Number(x)) : String(x));
  if (n === null || unlimited(n)) {
    if (bound.required) refuse('PC_DENIED_RESOURCE_LIMIT', `${label} is ${n === null ? 'not set' : `${n} (unlimited)`}; a limit is required${bound.max === null ? '' : ` (at most ${show(BigInt(bound.max))})`}`);
    return;
  }
  if (bound.max !== null && n > BigInt(bound.max)) refuse('PC_DENIED_RESOURCE_LIMIT', `${label} is ${show(n)}, above the maximum ${show(BigInt(bound.max))}`);
}

export function checkResources(o: JsonObject, label: string, c: Constraints): void {
  checkDevices(o, label, c);
  checkCgroup(o, label, c);
  checkOomKillDisable(o, label, c);
  checkBound(field(o, 'Memory'), `${dot(label)}Memory`, c.memory, true, (n) => n <= 0n);
  checkBound(field(o, 'PidsLimit'), `${dot(label)}PidsLimit`, c.pidsLimit, false, (n) => n <= 0n);
}

/** The allowed host addresses as Go reads them (the config may write IPv6 in brackets). */
function allowedHostIps(c: Constraints): GoIp[] {
  return c.portBindings.hostIps.map((s) => parseGoIp(s.replace(/^\[(.*)\]$/, '$1'))).filter((ip): ip is GoIp => ip !== null);
}

/** An unspecified address (`0.0.0.0`, `::`) in `hostIps` allows publishing on every interface. */
export function allInterfacesAllowed(c: Constraints): boolean {
  return allowedHostIps(c).some(goIpUnspecified);
}

/** A host port (or range) as dockerd reads it, against the allowed ranges; a random port always passes. */
export function checkHostPort(port: string, label: string, c: Constraints): void {
  const range = parseHostPort(port);
  if (range === null) refuse('PC_DENIED_PORT_BINDING', `${label} is ${q(port)}, which dockerd does not read as a port or port range`);
  if (range[0] === 0 && range[1] === 0) return;
  const ok = c.portBindings.hostPorts.some((a) => {
    const allowed = parsePortRange(a);
    return allowed !== null && allowed[0] <= range[0] && range[1] <= allowed[1];
  });
  const read = `${range[0]}${range[1] === range[0] ? '' : `-${range[1]}`}`;
  const shownPort = read === port ? q(port) : `${q(port)} (read as ${read})`;
  if (!ok) refuse('PC_DENIED_PORT_BINDING', `${label} is ${shownPort} (allowed host ports: ${listed(c.portBindings.hostPorts)})`);
}

/**
 * A HostIp as dockerd reads it: Go's net.ParseIP on the raw string. What it cannot read (`""`,
 * `" 127.0.0.1"`, `"[::1]"`) is nil, and a nil or unspecified address publishes on every interface.
 */
export function checkHostIp(raw: string, label: string, c: Constraints): void {
  const ip = parseGoIp(raw);
  const allowedList = `allowed host IPs: ${listed(c.portBindings.hostIps)}`;
  if (ip === null || goIpUnspecified(ip)) {
    if (allInterfacesAllowed(c)) return;
    const what = raw === '' ? 'is empty' : ip === null ? `is ${q(raw)}, which dockerd does not read as an IP address` : `is ${q(raw)}`;
    refuse('PC_DENIED_PORT_BINDING', `${label} ${what}, so the port is published on all interfaces (${allowedList})`);
  }
  if (!allowedHostIps(c).some((a) => goIpEqual(a, ip))) refuse('PC_DENIED_PORT_BINDING', `${label} is ${q(raw)} (${allowedList})`);
}

export function checkPortBindings(o: JsonObject, label: string, c: Constraints): void {
  const bindings = optObject(field(o, 'PortBindings'), `${dot(label)}PortBindings`);
  for (const port of Object.keys(bindings ?? {})) {
    const at = `${dot(label)}PortBindings[${q(port)}]`;
    const list = optArray((bindings as JsonObject)[port], at);
    list?.forEach((b, i) => {
      const binding = optObject(b, `${at}[${i}]`);
      if (binding === null) return;
      checkHostIp(optString(field(binding, 'HostIp'), `${at}[${i}].HostIp`) ?? '', `${at}[${i}].HostIp`, c);
      checkHostPort(optString(field(binding, 'HostPort'), `${at}[${i}].HostPort`) ?? '', `${at}[${i}].HostPort`, c);
    });
  }
  if (flag(field(o, 'PublishAllPorts'), `${dot(label)}PublishAllPorts`) && !allInterfacesAllowed(c)) {
    refuse('PC_DENIED_PORT_BINDING', `${dot(label)}PublishAllPorts is true, which publishes on all interfaces (allowed host IPs: ${listed(c.portBindings.hostIps)})`);
  }
}

export async function checkLogDriver(name: string | null, label: string, ctx: CheckContext): Promise<void> {
  if (name === null || name === '' || ctx.c.logDrivers.includes(name)) return;
  if (ctx.mode === 'stored') {
    const info = await ctx.info();
    if (info !== null && field(info, 'LoggingDriver') === name) return;
  }
  refuse('PC_DENIED_LOG_DRIVER', `${label} is ${q(name)} (allowed: ${listed(ctx.c.logDrivers)})`);
}

export function checkAnnotations(o: JsonObject, label: string, c: Constraints): void {
  if (c.annotations) return;
  const a = optObject(field(o, 'Annotations'), `${dot(label)}Annotations`);
  const keys = Object.keys(a ?? {});
  if (keys.length > 0) refuse('PC_DENIED_ANNOTATIONS', `${dot(label)}Annotations sets ${q(keys[0] as string)} (OCI annotations are not allowed)`);
}

/** The 19.03 `Capabilities` field replaced the whole capability set. */
export function checkLegacyCapabilities(o: JsonObject, label: string): void {
  const caps = optStrings(field(o, 'Capabilities'), `${dot(label)}Capabilities`);
  if (caps !== null) refuse('PC_DENIED_CAP_ADD', `${dot(label)}Capabilities is set (it replaces the capability set)`);
}

