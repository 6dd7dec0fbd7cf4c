import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { goFoldKey } from '../../src/inspect/fold.js';
import { decodeGoJson } from '../../src/inspect/go-json.js';
import { JsonNumber, type JsonObject } from '../../src/inspect/json-value.js';
import { SCHEMAS_SPEC_VERSION } from '../../src/inspect/schemas.generated.js';
import { effectiveCreateHostConfig, legacyHostConfigFields, SCHEMAS, type Descriptor } from '../../src/inspect/schemas.js';
import { ENGINE_API_SPEC, engineApiSpec } from '../engine-api-spec.js';

const spec = engineApiSpec();

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
}

test('every property of the spec body definitions is described with the right shape', { skip: spec.skip }, () => {
  spec.check();
  const doc = parse(readFileSync(ENGINE_API_SPEC, 'utf8')) as {
    info: { version: string };
    definitions: Record<string, Schema>;
    paths: Record<string, Record<string, { operationId?: string; parameters?: { in: string; schema?: Schema }[] }>>;
  };
  assert.equal(SCHEMAS_SPEC_VERSION, doc.info.version, 'schemas.generated.ts is stale: run npx tsx scripts/gen-schemas.ts');
  const deref = (s: Schema): Schema => {
    let x = s;
    while (x.$ref) x = doc.definitions[x.$ref.replace('#/definitions/', '')]!;
    return x;
  };
  // the spec's properties of an object schema (allOf flattened); null when it is not a struct
  const props = (s0: Schema): Map<string, Schema> | null => {
    const s = deref(s0);
    if (s.allOf) {
      const m = new Map<string, Schema>();
      let any = false;
      for (const p of s.allOf) {
        const pp = props(p);
        if (pp) {
          any = true;
          for (const [k, v] of pp) m.set(k, v);
        }
      }
      return any ? m : null;
    }
    return s.properties ? new Map(Object.entries(s.properties)) : null;
  };
  let checked = 0;
  const walk = (s0: Schema, d: Descriptor, where: string, seen: Set<Schema>): void => {
    const s = deref(s0);
    if (seen.has(s)) return;
    const p = props(s);
    if (p) {
      assert.equal(d.kind, 'struct', `${where}: spec has properties`);
      if (d.kind !== 'struct') return;
      const next = new Set(seen).add(s);
      for (const [k, v] of p) {
        const name = Object.keys(d.fields).find((f) => f === k) ?? Object.keys(d.fields).find((f) => goFoldKey(f) === goFoldKey(k));
        assert.ok(name !== undefined, `${where}.${k} missing`);
        checked++;
        walk(v, d.fields[name]!, `${where}.${k}`, next);
      }
      return;
    }
    if (s.type === 'array' || s.items) {
      assert.equal(d.kind, 'array', `${where}: spec has an array`);
      if (d.kind === 'array' && s.items) walk(s.items, d.items, `${where}[]`, seen);
      return;
    }
    if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
      assert.equal(d.kind, 'map', `${where}: spec has a map`);
      if (d.kind === 'map' && typeof s.additionalProperties === 'object') walk(s.additionalProperties, d.values, `${where}{}`, seen);
      return;
    }
    assert.equal(d.kind, 'scalar', `${where}: spec has a scalar or an untyped object`);
  };
  for (const methods of Object.values(doc.paths)) {
    for (const op of Object.values(methods)) {
      const id = op?.operationId;
      if (!id || !Object.hasOwn(SCHEMAS, id)) continue;
      const body = op.parameters?.find((x) => x.in === 'body');
      assert.ok(body?.schema, `${id} has a body in the spec`);
      walk(body.schema, SCHEMAS[id as keyof typeof SCHEMAS], id, new Set());
    }
  }
  assert.ok(checked > 400, `only ${checked} properties checked`);
});

test('no struct has two fields that fold together (Go would pick one arbitrarily by order)', () => {
  const seen = new Set<Descriptor>();
  const walk = (d: Descriptor, where: string): void => {
    if (seen.has(d)) return;
    seen.add(d);
    if (d.kind === 'struct') {
      const folded = new Map<string, string>();
      for (const [k, v] of Object.entries(d.fields)) {
        const f = goFoldKey(k);
        assert.ok(!folded.has(f), `${where}: ${k} folds with ${folded.get(f)}`);
        folded.set(f, k);
        walk(v, `${where}.${k}`);
      }
    } else if (d.kind === 'map') walk(d.values, `${where}{}`);
    else if (d.kind === 'array') walk(d.items, `${where}[]`);
  };
  for (const [id, d] of Object.entries(SCHEMAS)) walk(d, id);
});

test('ContainerCreate models the 20.10 wrapper: every HostConfig field also at the top level', () => {
  const create = SCHEMAS.ContainerCreate;
  assert.equal(create.kind, 'struct');
  if (create.kind !== 'struct') return;
  const hc = create.fields.HostConfig!;
  assert.equal(hc.kind, 'struct');
  const names = legacyHostConfigFields();
  for (const k of ['Privileged', 'CapAdd', 'Binds', 'Devices', 'Mounts', 'SecurityOpt', 'PidMode', 'NetworkMode', 'Memory', 'NanoCpus', 'Dns', 'Sysctls']) {
    assert.ok(names.includes(k), k);
  }
  for (const k of names) assert.ok(Object.hasOwn(create.fields, k), `top-level ${k}`);
  for (const k of ['Image', 'Cmd', 'Env', 'Labels', 'Volumes', 'ExposedPorts', 'NetworkingConfig', 'Cpuset', 'MacAddress']) {
    assert.ok(Object.hasOwn(create.fields, k), k);
  }
  // kinds that matter for the duplicate rules
  assert.equal(create.fields.Labels!.kind, 'map');
  assert.equal(create.fields.Sysctls!.kind, 'map');
  assert.equal(create.fields.PortBindings!.kind, 'map');
  assert.equal(create.fields.Healthcheck!.kind, 'struct');
});

function decodeCreate(s: string): JsonObject {
  const r = decodeGoJson(Buffer.from(s), SCHEMAS.ContainerCreate);
  assert.ok(r.ok);
  return r.value as JsonObject;
}

test('effectiveCreateHostConfig follows getHostConfig()', () => {
  assert.equal(effectiveCreateHostConfig(decodeCreate('{"Image":"x"}')), null);
  // no HostConfig: the top-level fields are the host config
  assert.deepEqual(Object.keys(effectiveCreateHostConfig(decodeCreate('{"Image":"x","privileged":true,"capadd":["ALL"]}'))!).sort(), ['CapAdd', 'Privileged']);
  // HostConfig present: legacy Privileged ignored, Memory merged when inner is zero, Cpuset fills CpusetCpus
  const hc = effectiveCreateHostConfig(
    decodeCreate('{"privileged":true,"memory":1024,"CpuShares":2,"Cpuset":"0-3","HostConfig":{"Memory":0,"CpuShares":5}}'),
  )!;
  assert.equal(hc.Privileged, undefined);
  assert.equal((hc.Memory as JsonNumber).literal, '1024');
  assert.equal((hc.CpuShares as JsonNumber).literal, '5');
  assert.equal(hc.CpusetCpus, '0-3');
  // "HostConfig": null leaves the inner pointer nil
  assert.equal(effectiveCreateHostConfig(decodeCreate('{"HostConfig":null,"Privileged":true}'))!.Privileged, true);
});
