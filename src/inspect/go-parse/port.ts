/**
 * Host ports as dockerd reads a PortBindings `HostPort` (20.10 and 26.1 alike: go-connections
 * `nat.NewPort(nat.SplitProtoPort(hostPort))`, then `Port.Range()`). Quirks kept on purpose: a
 * protocol suffix is dropped (`8080/udp` is 8080), `/8080` is empty (a random port), `1-2-3` is
 * the range 1-2, leading zeros are fine (`08080`), signs and spaces are not.
 */

/** nat.SplitProtoPort: `port/proto` to [proto, port]. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw.length === 0 || (parts[0] as string).length === 0) return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if ((parts[1] as string).length === 0) return ['tcp', parts[0] as string];
  return [parts[1] as string, parts[0] as string];
}

/** strconv.ParseUint(s, 10, 16). */
function parseUint16(s: string): number | null {
  if (!/^[0-9]+$/.test(s)) return null;
  // Long runs of leading zeros are fine; what is left must fit 16 bits.
  const digits = s.replace(/^0+(?=.)/, '');
  return digits.length > 5 || Number(digits) > 0xffff ? null : Number(digits);
}

/** nat.ParsePortRange: `8000-9000` or `8080`; only the first two `-` fields count. */
export function parsePortRange(ports: string): [number, number] | null {
  if (ports === '') return null;
  if (!ports.includes('-')) {
    const n = parseUint16(ports);
    return n === null ? null : [n, n];
  }
  const parts = ports.split('-');
  const start = parseUint16(parts[0] as string);
  if (start === null) return null;
  const end = parseUint16(parts[1] as string);
  if (end === null || end < start) return null;
  return [start, end];
}

/**
 * The host port range dockerd publishes for a HostPort, [0, 0] being a port it picks; null when
 * dockerd refuses the value ("invalid port specification").
 */
export function parseHostPort(hostPort: string): [number, number] | null {
  const [, port] = splitProtoPort(hostPort);
  return port === '' ? [0, 0] : parsePortRange(port);
}
