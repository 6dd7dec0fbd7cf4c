import { lookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Source addresses: IP addresses, CIDR blocks (IPv4 and IPv6) and hostnames.
 *
 * Addresses are compared within their family. An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`,
 * what a dual-stack socket reports for an IPv4 peer) is an IPv4 address, both as a peer address
 * and when written in the config (`::ffff:10.0.0.0/104` is `10.0.0.0/8`). Hence `::/0` matches
 * every IPv6 peer but no IPv4 one, and `0.0.0.0/0` every IPv4 peer. A zone (`fe80::1%eth0`) is
 * ignored.
 *
 * Hostnames (compose service names, say) are resolved with dns.lookup, all addresses, when the
 * proxy starts and again every 5 s in the background. Identification stays synchronous and uses
 * the last resolved set; when resolution keeps failing, that set is kept for up to 30 s after the
 * last success and then dropped, so the hostname matches nobody (fail closed).
 */

export interface IpAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes */
  readonly bytes: Uint8Array;
}

export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

export type SourceEntry = { readonly kind: 'cidr'; readonly cidr: Cidr } | { readonly kind: 'hostname'; readonly hostname: string };

function parseV4(text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined;
  const parts = text.split('.').map(Number);
  return Uint8Array.from(parts);
}

function parseV6(text: string): Uint8Array | undefined {
  if (!isIPv6(text)) return undefined;
  let s = text;
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseV4(last);
    if (!v4) return undefined;
    s = `${s.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 0xff;
  });
  return bytes;
}

function isMapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** Parses an IPv4 or IPv6 address (zone ignored, IPv4-mapped IPv6 read as IPv4); undefined if it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseV4(text);
  if (v4) return { family: 4, bytes: v4 };
  const zone = text.indexOf('%');
  const v6 = parseV6(zone < 0 ? text : text.slice(0, zone));
  if (!v6) return undefined;
  return isMapped(v6) ? { family: 4, bytes: v6.slice(12) } : { family: 6, bytes: v6 };
}

/** A stable key for an address, equal for every spelling of it (`::ffff:1.2.3.4` and `1.2.3.4`). */
export function ipKey(a: IpAddress): string {
  return a.family === 4 ? a.bytes.join('.') : Buffer.from(a.bytes).toString('hex');
}

function formatIp(family: 4 | 6, bytes: Uint8Array): string {
  if (family === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

export function cidrContains(c: Cidr, a: IpAddress): boolean {
  if (c.family !== a.family) return false;
  const full = c.prefix >> 3;
  for (let i = 0; i < full; i++) if (c.bytes[i] !== a.bytes[i]) return false;
  const rest = c.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((c.bytes[full]! ^ a.bytes[full]!) & mask) === 0;
}

// As in config/address.ts: underscores are not RFC 1123, but Docker's embedded DNS serves them.
const HOSTNAME_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

function isHostname(text: string): boolean {
  if (/^[0-9.]+$/.test(text)) return false;
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => HOSTNAME_LABEL.test(label));
}

/** Parses one `source:` entry: an address, a CIDR block or a hostname. Throws a message for the config error. */
export function parseSourceEntry(text: string): SourceEntry {
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const base = text.slice(0, slash);
    const prefixText = text.slice(slash + 1);
    const ip = parseIp(base);
    if (!ip) throw new SourceError(`"${base}" is not an IPv4 or IPv6 address (in CIDR "${text}")`);
    if (base.includes('%')) throw new SourceError(`a CIDR block takes no zone ("${text}")`);
    if (!/^[0-9]{1,3}$/.test(prefixText)) throw new SourceError(`"${text}": the prefix length must be a decimal number`);
    // Written as IPv4-mapped IPv6, the prefix counts the 96 bits of the ::ffff: part.
    const writtenV6 = base.includes(':');
    const max = writtenV6 ? 128 : 32;
    let prefix = Number(prefixText);
    if (prefix > max) throw new SourceError(`"${text}": the prefix length is at most ${max}`);
    if (writtenV6 && ip.family === 4) {
      if (prefix < 96) throw new SourceError(`"${text}": an IPv4-mapped block needs a prefix of at least 96`);
      prefix -= 96;
    }
    const cidr: Cidr = { family: ip.family, bytes: ip.bytes, prefix };
    const network = new Uint8Array(ip.bytes.length);
    for (let i = 0; i < network.length; i++) {
      const bits = Math.max(0, Math.min(8, prefix - 8 * i));
      network[i] = ip.bytes[i]! & ((0xff << (8 - bits)) & 0xff);
    }
    if (network.some((b, i) => b !== ip.bytes[i])) {
      const fixed = `${formatIp(ip.family, network)}/${prefix}`;
      throw new SourceError(`"${text}" has bits set after the prefix; did you mean ${fixed}?`);
    }
    return { kind: 'cidr', cidr };
  }
  const ip = parseIp(text);
  if (ip) {
    if (text.includes('%')) throw new SourceError(`"${text}": give the address without a zone`);
    return { kind: 'cidr', cidr: { family: ip.family, bytes: ip.bytes, prefix: ip.family === 4 ? 32 : 128 } };
  }
  if (text.includes(':')) throw new SourceError(`"${text}" is not a valid IPv6 address`);
  if (!isHostname(text)) throw new SourceError(`"${text}" is neither an IP address, a CIDR block nor a valid hostname`);
  return { kind: 'hostname', hostname: text.toLowerCase().replace(/\.$/, '') };
}

export class SourceError extends Error {
  override name = 'SourceError';
}

/** Resolves a hostname to all its addresses. */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface HostnameCacheOptions {
  readonly resolve?: Resolver;
  /** background refresh period; default 5000 ms */
  readonly refreshMs?: number;
  /** how long the last good set is kept while resolution fails; default 30000 ms */
  readonly keepMs?: number;
  /** clock, for tests */
  readonly now?: () => number;
  /** told about every failed resolution (the set is kept or dropped as described above) */
  readonly onError?: (hostname: string, error: unknown) => void;
}

interface HostState {
  keys: ReadonlySet<string>;
  /** when the last successful resolution finished */
  okAt: number;
  /** sequence number of the newest started lookup, and of the one whose result is held */
  started: number;
  applied: number;
  /** a lookup of this hostname is running, started at that time; -1 otherwise */
  inflightSince: number;
}

const EMPTY: ReadonlySet<string> = new Set();

/** The resolved addresses of the hostnames named in `source:` lists. */
export class HostnameCache {
  private readonly hosts = new Map<string, HostState>();
  private readonly resolve: Resolver;
  private readonly refreshMs: number;
  private readonly keepMs: number;
  private readonly now: () => number;
  private readonly onError: (hostname: string, error: unknown) => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(hostnames: Iterable<string>, opts: HostnameCacheOptions = {}) {
    this.resolve = opts.resolve ?? systemResolver;
    this.refreshMs = opts.refreshMs ?? 5000;
    this.keepMs = opts.keepMs ?? 30000;
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError ?? (() => {});
    for (const h of hostnames) {
      this.hosts.set(h, { keys: EMPTY, okAt: -Infinity, started: 0, applied: 0, inflightSince: -1 });
    }
  }

  get hostnames(): string[] {
    return [...this.hosts.keys()];
  }

  /** Resolves every hostname once (failures leave it matching nobody), then refreshes in the background. */
  async start(): Promise<void> {
    await this.refresh();
    if (this.hosts.size > 0 && this.timer === undefined) {
      this.timer = setInterval(() => void this.refresh(), this.refreshMs);
      this.timer.unref();
    }
  }

  /** Resolves every hostname now. A lookup still running (for less than the keep time) is not repeated. */
  async refresh(): Promise<void> {
    await Promise.all([...this.hosts].map(([name, state]) => this.refreshOne(name, state)));
  }

  private async refreshOne(name: string, state: HostState): Promise<void> {
    this.expire(state);
    const t = this.now();
    if (state.inflightSince >= 0 && t - state.inflightSince < this.keepMs) return;
    const seq = ++state.started;
    state.inflightSince = t;
    try {
      const addresses = await this.resolve(name);
      const keys = new Set<string>();
      for (const a of addresses) {
        const ip = parseIp(a);
        if (ip) keys.add(ipKey(ip));
      }
      // A slow lookup finishing after a newer one must not replace the newer result.
      if (seq > state.applied) {
        state.keys = keys;
        state.okAt = this.now();
        state.applied = seq;
      }
    } catch (error) {
      this.onError(name, error);
      this.expire(state);
    } finally {
      if (seq === state.started) state.inflightSince = -1;
    }
  }

  private expire(state: HostState): void {
    if (state.keys !== EMPTY && this.now() - state.okAt > this.keepMs) state.keys = EMPTY;
  }

  /** Whether `address` is currently one of the hostname's addresses. Synchronous. */
  has(hostname: string, address: IpAddress): boolean {
    const state = this.hosts.get(hostname);
    if (state === undefined) return false;
    this.expire(state);
    return state.keys.has(ipKey(address));
  }

  /** The hostname's current addresses (keys as ipKey gives them), for diagnostics and tests. */
  addresses(hostname: string): string[] {
    const state = this.hosts.get(hostname);
    if (state === undefined) return [];
    this.expire(state);
    return [...state.keys];
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The `source:` list of one client. */
export class SourceMatcher {
  private readonly cidrs: Cidr[] = [];
  private readonly hostnames: string[] = [];

  constructor(entries: readonly SourceEntry[]) {
    for (const e of entries) {
      if (e.kind === 'cidr') this.cidrs.push(e.cidr);
      else this.hostnames.push(e.hostname);
    }
  }

  get hostnameList(): readonly string[] {
    return this.hostnames;
  }

  matches(address: IpAddress, cache: HostnameCache): boolean {
    for (const c of this.cidrs) if (cidrContains(c, address)) return true;
    for (const h of this.hostnames) if (cache.has(h, address)) return true;
    return false;
  }
}
