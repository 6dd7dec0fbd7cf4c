import { isIPv4, isIPv6 } from 'node:net';

export type Address = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * `listen` accepts port 0 (the kernel picks a free port, which tests and the healthcheck of an
 * ephemeral setup rely on); `connect` does not, since nothing can be reached on port 0.
 */
export type AddressPurpose = 'listen' | 'connect';

export class AddressError extends Error {
  override name = 'AddressError';
}

// Underscores are not RFC 1123 but Docker's embedded DNS serves container names that contain them.
const HOSTNAME_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

function isHostname(host: string): boolean {
  // A dotted all-numeric name that is not valid IPv4 (999.1.1.1, 10.1) is a typo, not a hostname.
  if (/^[0-9.]+$/.test(host)) return false;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => HOSTNAME_LABEL.test(label));
}

function parseTcp(input: string, rest: string, purpose: AddressPurpose): Address {
  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new AddressError(`${input}: unterminated "[" in IPv6 address`);
    host = rest.slice(1, close);
    if (!isIPv6(host)) throw new AddressError(`${input}: "${host}" is not an IPv6 address`);
    if (rest[close + 1] !== ':') throw new AddressError(`${input}: expected ":port" after "]"`);
    portText = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon < 0) throw new AddressError(`${input}: a port is required, e.g. tcp://127.0.0.1:2375`);
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(':')) {
      throw new AddressError(`${input}: an IPv6 address must be written in brackets, e.g. tcp://[::1]:2375`);
    }
    if (host === '') throw new AddressError(`${input}: a host is required, e.g. tcp://0.0.0.0:2375`);
    if (!isIPv4(host) && !isHostname(host)) {
      throw new AddressError(`${input}: "${host}" is neither an IPv4 address nor a valid hostname`);
    }
  }
  if (!/^[0-9]{1,5}$/.test(portText)) {
    const why = /[/?#]/.test(portText) ? 'a tcp address takes no path, query or fragment' : 'the port must be a decimal number';
    throw new AddressError(`${input}: ${why}`);
  }
  const port = Number(portText);
  const min = purpose === 'listen' ? 0 : 1;
  if (port < min || port > 65535) {
    throw new AddressError(`${input}: port ${port} is out of range ${min}..65535`);
  }
  return { kind: 'tcp', host, port };
}

function parseUnix(input: string, path: string): Address {
  if (!path.startsWith('/')) {
    throw new AddressError(`${input}: a unix socket path must be absolute, e.g. unix:///var/run/docker.sock`);
  }
  if (path === '/' || path.endsWith('/')) throw new AddressError(`${input}: the path names a directory, not a socket`);
  if (path.includes('\0')) throw new AddressError(`${input}: the path contains a NUL byte`);
  return { kind: 'unix', path };
}

/** Parses `tcp://host:port` (IPv4, `[IPv6]` or hostname) or `unix:///absolute/path`. */
export function parseAddress(input: string, purpose: AddressPurpose): Address {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(input);
  if (!scheme) {
    throw new AddressError(`${JSON.stringify(input)}: expected tcp://HOST:PORT or unix:///PATH`);
  }
  const rest = input.slice(scheme[0].length);
  switch (scheme[1]!.toLowerCase()) {
    case 'tcp':
      if (rest.includes('@')) throw new AddressError(`${input}: a tcp address takes no user information`);
      return parseTcp(input, rest, purpose);
    case 'unix':
      return parseUnix(input, rest);
    default:
      throw new AddressError(`${input}: unsupported scheme "${scheme[1]}" (expected tcp:// or unix://)`);
  }
}

export function formatAddress(address: Address): string {
  if (address.kind === 'unix') return `unix://${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `tcp://${host}:${address.port}`;
}

export function sameAddress(a: Address, b: Address): boolean {
  return formatAddress(a) === formatAddress(b);
}
