import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { GROUPS, OPERATIONS, OPERATIONS_BY_ID } from '../../src/catalogue/operations.js';
import { ENGINE_API_SPEC, engineApiSpec } from '../engine-api-spec.js';

interface SpecParameter {
  in: string;
  schema?: { type?: string };
}
interface SpecOperation {
  operationId: string;
  parameters?: SpecParameter[];
  responses: Record<string, unknown>;
}
interface SpecOp {
  id: string;
  method: string;
  path: string;
  op: SpecOperation;
}

const specFile = engineApiSpec();

let loaded: SpecOp[] | undefined;

/** The spec's operations, read once; throws (the test fails) when the spec is missing under the flag. */
function specOps(): SpecOp[] {
  specFile.check();
  if (loaded !== undefined) return loaded;
  const doc = parse(readFileSync(ENGINE_API_SPEC, 'utf8')) as { paths: Record<string, Record<string, SpecOperation>> };
  const ops: SpecOp[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (method === 'parameters') continue;
      ops.push({ id: op.operationId, method: method.toUpperCase(), path, op });
    }
  }
  loaded = ops;
  return ops;
}

/** Routes dockerd serves that the spec does not document. */
const OUTSIDE_SPEC = ['CheckpointList', 'CheckpointCreate', 'CheckpointDelete', 'BuildCancel', 'GRPC'];

test('every operation of the spec is catalogued with its method and path', { skip: specFile.skip }, () => {
  for (const s of specOps()) {
    const op = OPERATIONS_BY_ID.get(s.id);
    assert.ok(op, `${s.id} missing`);
    assert.equal(op.method, s.method, s.id);
    assert.equal(op.path, s.path, s.id);
  }
});

test('the catalogue holds nothing but the spec and the known extra routes', { skip: specFile.skip }, () => {
  const specIds = new Set(specOps().map((s) => s.id));
  const extra = OPERATIONS.filter((o) => !specIds.has(o.id)).map((o) => o.id);
  assert.deepEqual(extra.sort(), [...OUTSIDE_SPEC].sort());
});

test('body kinds follow the spec: a binary/string body streams, any other body is JSON', { skip: specFile.skip }, () => {
  for (const s of specOps()) {
    const body = s.op.parameters?.find((p) => p.in === 'body');
    const expected = body === undefined ? 'none' : body.schema?.type === 'string' ? 'stream' : 'json';
    assert.equal(OPERATIONS_BY_ID.get(s.id)?.body, expected, s.id);
  }
});

test('operations the spec documents with a 101 response hijack', { skip: specFile.skip }, () => {
  for (const s of specOps()) {
    if ('101' in s.op.responses) assert.notEqual(OPERATIONS_BY_ID.get(s.id)?.upgrade ?? null, null, s.id);
  }
});

test('exactly the upgrading operations hijack', () => {
  const hijacking = OPERATIONS.filter((o) => o.upgrade !== null).map((o) => `${o.id}:${o.upgrade}`);
  assert.deepEqual(hijacking.sort(), ['ContainerAttach:tcp', 'ContainerAttachWebsocket:websocket', 'ExecStart:tcp', 'GRPC:h2c', 'Session:h2c']);
});

test('operation ids are unique and so are method+path pairs', () => {
  assert.equal(new Set(OPERATIONS.map((o) => o.id)).size, OPERATIONS.length);
  assert.equal(new Set(OPERATIONS.map((o) => `${o.method} ${o.path}`)).size, OPERATIONS.length);
  assert.equal(OPERATIONS_BY_ID.size, OPERATIONS.length);
});

test('GROUPS partitions the catalogue: every operation in exactly one group', () => {
  const seen = new Map<string, string>();
  for (const [group, ids] of GROUPS) {
    for (const id of ids) {
      assert.ok(!seen.has(id), `${id} is in ${seen.get(id)} and ${group}`);
      seen.set(id, group);
      assert.equal(OPERATIONS_BY_ID.get(id)?.group, group);
    }
  }
  assert.equal(seen.size, OPERATIONS.length);
});

test('groups are exactly the documented family:access pairs', () => {
  assert.deepEqual(
    [...GROUPS.keys()].sort(),
    [
      'build:write',
      'buildkit:write',
      'configs:read',
      'configs:write',
      'containers:archive',
      'containers:attach',
      'containers:checkpoint',
      'containers:logs',
      'containers:read',
      'containers:write',
      'exec:read',
      'exec:write',
      'images:read',
      'images:write',
      'networks:read',
      'networks:write',
      'plugins:read',
      'plugins:write',
      'secrets:read',
      'secrets:write',
      'swarm:read',
      'swarm:write',
      'system:auth',
      'system:read',
      'volumes:read',
      'volumes:write',
    ],
  );
});

test('the sensitive groups hold what the docs promise', () => {
  const members = (g: string) => [...(GROUPS.get(g) ?? [])].sort();
  assert.deepEqual(members('containers:read'), ['ContainerChanges', 'ContainerInspect', 'ContainerList', 'ContainerStats', 'ContainerTop']);
  assert.deepEqual(members('containers:logs'), ['ContainerLogs']);
  assert.deepEqual(members('containers:archive'), ['ContainerArchive', 'ContainerArchiveInfo', 'ContainerExport', 'PutContainerArchive']);
  assert.deepEqual(members('containers:attach'), ['ContainerAttach', 'ContainerAttachWebsocket', 'ContainerResize']);
  assert.deepEqual(members('exec:write'), ['ContainerExec', 'ExecResize', 'ExecStart']);
  assert.deepEqual(members('exec:read'), ['ExecInspect']);
  assert.deepEqual(members('system:auth'), ['SystemAuth']);
  assert.deepEqual(members('buildkit:write'), ['GRPC', 'Session']);
  assert.deepEqual(members('system:read'), [
    'SystemDataUsage',
    'SystemEvents',
    'SystemInfo',
    'SystemPing',
    'SystemPingHead',
    'SystemVersion',
  ]);
  assert.ok(GROUPS.get('swarm:write')?.includes('SwarmUnlockkey'));
  assert.ok(GROUPS.get('images:read')?.includes('ImageGet'));
});

test('a read access never holds a method other than GET or HEAD', () => {
  for (const o of OPERATIONS) {
    if (o.group.endsWith(':read')) assert.ok(o.method === 'GET' || o.method === 'HEAD', o.id);
  }
});
