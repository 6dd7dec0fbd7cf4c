/**
 * Go's `net.ParseIP` as dockerd 26 (Go >= 1.22, built on `netip.ParseAddr`) runs it: dotted-quad
 * IPv4 without leading zeros, IPv6 with groups of at most four hex digits, at most one `::`, an
 * optional dotted-quad tail; no zone, no brackets, no whitespace. Anything else is nil, and a nil
 * HostIp is published on every interface.
 *
 * dockerd 20.10 (Go 1.19) also accepts IPv6 groups with more than four hex digits as long as the
 * value fits in 16 bits (`::00001`). Those strings are nil here, which the port check treats as
 * "every interface": the widest reading, so judging them by it never lets more through.
 *
 * The result is the 16-byte form Go keeps (IPv4 as `::ffff:a.b.c.d`), so `127.0.0.1` and
 * `::ffff:127.0.0.1` are the same address, as they are to Go's `IP.Equal` and to the port mapper.
 */
export type GoIp = Uint8Array & { readonly length: 16 };

const V4_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIPv4(s: string, out: number[]): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return false;
    const n = Number(p);
    if (n > 255) return false;
    out.push(n);
  }
  return true;
}

function parseIPv6(s: string): number[] | null {
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const fields = half.split(':');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as string;
      if (i === fields.length - 1 && f.includes('.')) {
        const v4: number[] = [];
        if (!parseIPv4(f, v4)) return null;
        out.push(...v4);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(f)) return null;
      const n = parseInt(f, 16);
      out.push(n >> 8, n & 0xff);
    }
    return out;
  };
  const head = groups(halves[0] as string);
  if (head === null) return null;
  if (halves.length === 1) return head.length === 16 ? head : null;
  // A dotted tail may only end the address.
  if ((halves[0] as string).includes('.')) return null;
  const tail = groups(halves[1] as string);
  if (tail === null) return null;
  // `::` stands for at least one group of zeros.
  const missing = 16 - head.length - tail.length;
  if (missing < 2) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** The address dockerd reads from `s`, or null where Go's ParseIP returns nil. */
export function parseGoIp(s: string): GoIp | null {
  const sep = /[.:%]/.exec(s);
  if (sep === null || sep[0] === '%') return null;
  if (sep[0] === '.') {
    const v4: number[] = [];
    return parseIPv4(s, v4) ? (Uint8Array.from([...V4_PREFIX, ...v4]) as GoIp) : null;
  }
  const v6 = parseIPv6(s);
  return v6 === null ? null : (Uint8Array.from(v6) as GoIp);
}

export function goIpEqual(a: GoIp, b: GoIp): boolean {
  return a.every((x, i) => x === b[i]);
}

/** `0.0.0.0`, `::` and `::ffff:0.0.0.0`: every interface, as a nil address is. */
export function goIpUnspecified(ip: GoIp): boolean {
  const v4 = V4_PREFIX.every((x, i) => ip[i] === x);
  return ip.every((x, i) => x === 0 || (v4 && i < 12));
}
