/**
 * A sysctl name as runc reads a HostConfig.Sysctls key (dockerd passes the map into the OCI spec
 * as is): when the first separator is `/`, runc swaps every `/` and `.`
 * (convertSysctlVariableToDotsSeparator), so `net/ipv4/conf/eth0.100/forwarding` is
 * `net.ipv4.conf.eth0/100.forwarding`; otherwise the name stays as written. No trimming: a key
 * with a space names no file under /proc/sys.
 */
export function runcSysctlName(key: string): string {
  const first = /[./]/.exec(key);
  if (first === null || first[0] === '.') return key;
  return key.replace(/[./]/g, (ch) => (ch === '.' ? '/' : '.'));
}
