/**
 * parseHostPort against a model of what dockerd does with a HostPort: go-connections
 * nat.SplitProtoPort, nat.NewPort (empty is 0), Port.Range → ParsePortRange → strconv.ParseUint
 * (base 10, 16 bits: digits only, any number of leading zeros). Written with Go's own steps:
 * strings.Split, then a ParseUint that accumulates and checks the cutoff.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseHostPort } from '../../../src/inspect/go-parse/port.js';

function parseUint(s: string, bits: number): number | null {
  if (s === '') return null;
  const max = 2 ** bits - 1;
  let n = 0;
  for (const ch of s) {
    const d = ch.charCodeAt(0) - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
    if (n > max) return null;
  }
  return n;
}

function modelRange(ports: string): [number, number] | null {
  if (ports === '') return null;
  if (ports.indexOf('-') < 0) {
    const n = parseUint(ports, 16);
    return n === null ? null : [n, n];
  }
  const parts = ports.split('-');
  const start = parseUint(parts[0]!, 16);
  const end = start === null ? null : parseUint(parts[1]!, 16);
  return start === null || end === null || end < start ? null : [start, end];
}

function model(hostPort: string): [number, number] | null {
  const parts = hostPort.split('/');
  let port: string;
  if (hostPort.length === 0 || parts[0]!.length === 0) port = '';
  else if (parts.length === 1) port = hostPort;
  else port = parts[0]!;
  return port === '' ? [0, 0] : modelRange(port);
}

test('HostPorts whose dockerd reading is known', () => {
  const known: [string, [number, number] | null][] = [
    ['', [0, 0]],
    ['0', [0, 0]],
    ['8080', [8080, 8080]],
    ['08080', [8080, 8080]],
    ['0000000000008080', [8080, 8080]],
    ['8080/udp', [8080, 8080]],
    ['8080/', [8080, 8080]],
    ['/8080', [0, 0]],
    ['8000-8999', [8000, 8999]],
    ['1-2-3', [1, 2]],
    ['9-8', null],
    ['8080-', null],
    ['-8080', null],
    [' 8080', null],
    ['8080 ', null],
    ['+8080', null],
    ['65535', [65535, 65535]],
    ['65536', null],
    ['8_080', null],
    ['0x50', null],
  ];
  for (const [s, want] of known) {
    assert.deepEqual(parseHostPort(s), want, JSON.stringify(s));
    assert.deepEqual(model(s), want, `model ${JSON.stringify(s)}`);
  }
});

test('random HostPorts: parseHostPort is the model', () => {
  const piece = fc.constantFrom('0', '1', '8', '9', '00', '65535', '65536', '99999', '-', '/', 'tcp', 'udp', ' ', '+', 'a');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 8 }).map((a) => a.join('')), (s) => assert.deepEqual(parseHostPort(s), model(s), JSON.stringify(s))),
    { numRuns: 20000 },
  );
});
