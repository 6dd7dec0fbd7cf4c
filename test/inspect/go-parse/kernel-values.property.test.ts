/**
 * Parsers of values dockerd hands on unread: tmpfs `size=` (the kernel's memparse and shmem's
 * block count), SecurityOpt items (dockerd's parseSecurityOpt) and sysctl names (runc). Each
 * against a model written from the C or Go source with regular expressions rather than a scan.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseSecurityOpt } from '../../../src/inspect/go-parse/security-opt.js';
import { runcSysctlName } from '../../../src/inspect/go-parse/sysctl.js';
import { parseTmpfsSize } from '../../../src/inspect/go-parse/tmpfs-size.js';

const M64 = 2n ** 64n;

function modelSize(v: string): string {
  if (v === '') return 'refused'; // fs_parse: a string parameter may not be empty
  // simple_strtoull(base 0): the longest run of digits of the detected base.
  const m = /^0[xX](?=[0-9a-fA-F])([0-9a-fA-F]*)/.exec(v) ?? (v.startsWith('0') ? /^([0-7]*)/.exec(v) : /^([0-9]*)/.exec(v));
  const digits = m![1]!;
  const base = /^0[xX][0-9a-fA-F]/.test(v) ? 16 : v.startsWith('0') ? 8 : 10;
  let n = 0n;
  for (const d of digits) n = (n * BigInt(base) + BigInt(parseInt(d, base))) % M64;
  let rest = v.slice(m![0].length);
  const suffix = /^[kKmMgGtTpPeE]/.exec(rest);
  if (suffix) {
    n = (n * 2n ** BigInt(10 * ('kmgtpe'.indexOf(suffix[0].toLowerCase()) + 1))) % M64;
    rest = rest.slice(1);
  }
  if (rest === '%') return 'percent';
  if (rest !== '') return 'refused';
  return ((n + 4095n) % M64) / 4096n === 0n ? 'unlimited' : `bytes ${n}`;
}

function implSize(v: string): string {
  const r = parseTmpfsSize(v);
  if (r === null) return 'refused';
  return r.kind === 'bytes' ? `bytes ${r.bytes}` : r.kind;
}

test('tmpfs sizes: known readings', () => {
  const known: [string, string][] = [
    ['64m', `bytes ${64n << 20n}`], ['0x10', 'bytes 16'], ['010', 'bytes 8'], ['09', 'refused'], ['0', 'unlimited'], ['', 'refused'], ['k', 'unlimited'],
    ['50%', 'percent'], ['1g%', 'percent'], [' 1g', 'refused'], ['1gb', 'refused'], ['0x', 'refused'], ['0xg', 'refused'], ['16E', 'unlimited'],
  ];
  for (const [v, want] of known) {
    assert.equal(implSize(v), want, v);
    assert.equal(modelSize(v), want, `model ${v}`);
  }
});

test('tmpfs sizes: parseTmpfsSize is the model', () => {
  const piece = fc.constantFrom('0', '1', '7', '8', '9', 'x', 'X', 'a', 'f', 'g', 'k', 'M', 'e', 'E', '%', ' ', '-', '99999999999');
  fc.assert(fc.property(fc.array(piece, { maxLength: 10 }).map((a) => a.join('')), (v) => assert.equal(implSize(v), modelSize(v), JSON.stringify(v))), { numRuns: 20000 });
});

function modelSecurityOpt(opt: string): string {
  if (opt === 'no-new-privileges' || opt === 'writable-cgroups') return `${opt} true`;
  if (opt === 'disable') return 'label disable';
  const m = opt.includes('=') ? /^([^=]*)=(.*)$/s.exec(opt) : /^([^:]*):(.*)$/s.exec(opt);
  if (m === null) return 'invalid';
  const [, k, v] = m as unknown as [string, string, string];
  if (k === 'label' || k === 'apparmor' || k === 'seccomp') return `${k} ${v}`;
  if (k === 'no-new-privileges' || k === 'writable-cgroups') {
    if (/^(1|t|T|TRUE|true|True)$/.test(v)) return `${k} true`;
    if (/^(0|f|F|FALSE|false|False)$/.test(v)) return `${k} false`;
  }
  return 'invalid';
}

function implSecurityOpt(opt: string): string {
  const o = parseSecurityOpt(opt);
  if (o === null) return 'invalid';
  return 'on' in o ? `${o.key} ${o.on}` : `${o.key} ${o.value}`;
}

test('SecurityOpt: parseSecurityOpt is the model', () => {
  const piece = fc.constantFrom('label', 'apparmor', 'seccomp', 'no-new-privileges', 'writable-cgroups', 'disable', 'unconfined', '=', ':', ' ', 'true', 'T', '1', 'yes', 'LABEL', 'type', 'x');
  fc.assert(fc.property(fc.array(piece, { maxLength: 5 }).map((a) => a.join('')), (v) => assert.equal(implSecurityOpt(v), modelSecurityOpt(v), JSON.stringify(v))), { numRuns: 20000 });
});

function modelSysctl(key: string): string {
  if (!/^[^./]*\//.test(key)) return key;
  return [...key].map((ch) => (ch === '.' ? '/' : ch === '/' ? '.' : ch)).join('');
}

test('sysctl names: runcSysctlName is the model', () => {
  assert.equal(runcSysctlName('net/ipv4/conf/eth0.100/forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  assert.equal(runcSysctlName('net.ipv4.conf.eth0/100.forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  const piece = fc.constantFrom('net', 'ipv4', '.', '/', 'eth0', ' ', '100');
  fc.assert(fc.property(fc.array(piece, { maxLength: 8 }).map((a) => a.join('')), (k) => assert.equal(runcSysctlName(k), modelSysctl(k), JSON.stringify(k))), { numRuns: 10000 });
});
