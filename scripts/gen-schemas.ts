/**
 * Generates src/inspect/schemas.generated.ts from the Engine API spec (swagger 2.0 YAML) unioned
 * with the fields of moby 20.10's request structs that the spec no longer (or never) lists.
 *
 *   npx tsx scripts/gen-schemas.ts [path/to/docker-engine-api.swagger.yaml]
 *
 * Default spec path: ../shared/reference/docker-engine-api.swagger.yaml beside the repository (the
 * spec is not copied into it). Shapes: an object with `properties` is a Go struct, an object with
 * only `additionalProperties` is a Go map, `type: object` with neither is an untyped value
 * (`any`, decoded with the strictest duplicate rule). The spec's spelling of a field is the
 * canonical one; a moby field that folds onto a spec field is not added twice.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { goFoldKey } from '../src/inspect/fold.js';

type Node =
  | { kind: 'ref'; name: string }
  | { kind: 'struct'; fields: Map<string, Node> }
  | { kind: 'map'; values: Node }
  | { kind: 'array'; items: Node }
  | { kind: 'scalar'; type: 'string' | 'number' | 'boolean' | 'any' };

const S: Node = { kind: 'scalar', type: 'string' };
const N: Node = { kind: 'scalar', type: 'number' };
const B: Node = { kind: 'scalar', type: 'boolean' };
const A: Node = { kind: 'scalar', type: 'any' };
const arr = (items: Node): Node => ({ kind: 'array', items });
const map = (values: Node): Node => ({ kind: 'map', values });
const ref = (name: string): Node => ({ kind: 'ref', name });
const struct = (fields: Record<string, Node>): Node => ({ kind: 'struct', fields: new Map(Object.entries(fields)) });

/** Operations whose JSON bodies Portcullis inspects. */
const OPERATIONS = [
  'ContainerCreate', 'ContainerUpdate', 'ContainerExec', 'ExecStart', 'VolumeCreate', 'NetworkCreate',
  'NetworkConnect', 'ServiceCreate', 'ServiceUpdate', 'PluginPull', 'PluginUpgrade', 'SystemAuth',
  'ImageCommit', 'SwarmInit', 'SwarmJoin', 'SwarmUpdate', 'SecretCreate', 'ConfigCreate', 'NodeUpdate',
] as const;

/**
 * moby 20.10 fields (by spec definition name or inline schema title) that the spec lacks.
 * Only fields whose Go type is known are listed; a struct is never described as a map.
 */
const MOBY_EXTRAS: Record<string, Record<string, Node>> = {
  // api/types/container/config.go
  ContainerConfig: { MacAddress: S },
  // api/types/container/host_config.go (Resources is embedded in HostConfig)
  Resources: { KernelMemory: N, KernelMemoryTCP: N },
  HostConfig: {
    Capabilities: arr(S), // API 1.40 only; harmless elsewhere
  },
  // api/types/configs.go ExecConfig
  ExecConfig: { Detach: B },
  // api/types/types.go NetworkCreateRequest (NetworkCreate embedded)
  NetworkCreateRequest: { CheckDuplicate: B },
  // api/types/auth.go AuthConfig (json tags are lower case)
  AuthConfig: { username: S, password: S, auth: S, email: S, serveraddress: S, identitytoken: S, registrytoken: S },
  // api/types/swarm/container.go (19.03: Capabilities)
  ContainerSpec: { Capabilities: arr(S) },
  // api/types/swarm/swarm.go InitRequest / JoinRequest
  SwarmInitRequest: {
    ListenAddr: S, AdvertiseAddr: S, DataPathAddr: S, DataPathPort: N, ForceNewCluster: B,
    Spec: ref('SwarmSpec'), AutoLockManagers: B, Availability: S, DefaultAddrPool: arr(S), SubnetSize: N,
  },
  SwarmJoinRequest: { ListenAddr: S, AdvertiseAddr: S, DataPathAddr: S, RemoteAddrs: arr(S), JoinToken: S, Availability: S },
};

const specPath = process.argv[2] ?? fileURLToPath(new URL('../../shared/reference/docker-engine-api.swagger.yaml', import.meta.url));
const doc = parse(readFileSync(specPath, 'utf8')) as {
  info: { version: string };
  definitions: Record<string, Schema>;
  paths: Record<string, Record<string, { operationId?: string; parameters?: { in: string; schema?: Schema }[] }>>;
};
interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  title?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
}

const warnings: string[] = [];
const defs = new Map<string, Node>(); // resolved definitions (never refs)
const order: string[] = []; // post-order: dependencies first
const inProgress = new Set<string>();

function refName(r: string): string {
  const m = /^#\/definitions\/(.+)$/.exec(r);
  if (!m) throw new Error(`unsupported $ref ${r}`);
  return m[1]!;
}

function ensureDef(name: string): Node {
  if (defs.has(name)) return ref(name);
  if (inProgress.has(name)) throw new Error(`recursive definition ${name}`);
  const schema = doc.definitions[name];
  if (!schema) throw new Error(`missing definition ${name}`);
  inProgress.add(name);
  const node = applyExtras(name, resolve(schema, name));
  inProgress.delete(name);
  defs.set(name, node);
  order.push(name);
  return ref(name);
}

function deref(n: Node): Node {
  return n.kind === 'ref' ? defs.get(n.name)! : n;
}

function applyExtras(name: string | undefined, node: Node): Node {
  const extras = name ? MOBY_EXTRAS[name] : undefined;
  if (!extras) return node;
  if (node.kind !== 'struct') throw new Error(`extras for ${name}, which is not a struct`);
  const folded = new Set([...node.fields.keys()].map(goFoldKey));
  for (const [k, v] of Object.entries(extras)) {
    if (folded.has(goFoldKey(k))) continue; // the spec already has it (its spelling wins)
    node.fields.set(k, v);
    folded.add(goFoldKey(k));
  }
  return node;
}

function resolve(s: Schema, where: string): Node {
  if (s.$ref) return ensureDef(refName(s.$ref));
  if (s.allOf) {
    const parts = s.allOf.map((p, i) => deref(resolve(p, `${where}.allOf[${i}]`)));
    if (parts.length === 1) return applyExtras(s.title, parts[0]!);
    const fields = new Map<string, Node>();
    for (const p of parts) {
      if (p.kind !== 'struct') {
        if (p.kind === 'scalar' && p.type === 'any') continue; // e.g. an example-only object
        throw new Error(`${where}: allOf of a ${p.kind}`);
      }
      for (const [k, v] of p.fields) addField(fields, k, v, where);
    }
    return applyExtras(s.title, { kind: 'struct', fields });
  }
  if (s.type === 'array' || (s.items && !s.type)) return arr(s.items ? resolve(s.items, `${where}[]`) : A);
  if (s.properties) {
    if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
      warnings.push(`${where}: both properties and additionalProperties; treated as a struct`);
    }
    const fields = new Map<string, Node>();
    for (const [k, v] of Object.entries(s.properties)) addField(fields, k, resolve(v, `${where}.${k}`), where);
    return applyExtras(s.title, { kind: 'struct', fields });
  }
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
    return map(typeof s.additionalProperties === 'object' ? resolve(s.additionalProperties, `${where}{}`) : A);
  }
  switch (s.type) {
    case 'string':
      return S;
    case 'integer':
    case 'number':
      return N;
    case 'boolean':
      return B;
    default:
      return A; // object without properties, or no type at all
  }
}

function addField(fields: Map<string, Node>, k: string, v: Node, where: string): void {
  for (const existing of fields.keys()) {
    if (existing !== k && goFoldKey(existing) === goFoldKey(k)) throw new Error(`${where}: fields ${existing} and ${k} fold together`);
  }
  if (fields.has(k) && JSON.stringify(fields.get(k)) !== JSON.stringify(v)) warnings.push(`${where}: ${k} redefined`);
  fields.set(k, v);
}

// ---- operations ----
const bodies = new Map<string, Schema>();
for (const methods of Object.values(doc.paths)) {
  for (const op of Object.values(methods)) {
    if (!op?.operationId) continue;
    const body = op.parameters?.find((p) => p.in === 'body');
    if (body?.schema) bodies.set(op.operationId, body.schema);
  }
}
const roots = new Map<string, Node>();
for (const id of OPERATIONS) {
  const schema = bodies.get(id);
  if (!schema) throw new Error(`no body schema for ${id}`);
  roots.set(id, resolve(schema, id));
}

// ContainerCreate: runconfig.ContainerConfigWrapper (dockerd 20.10). Go's precedence for promoted
// fields: the wrapper's own fields (depth 0), then Config and the legacy embedded HostConfig
// (depth 1), then HostConfig's embedded Resources (depth 2). A name present twice at the same
// depth would be ignored by Go altogether; there is none (checked here).
{
  const config = deref(ensureDef('ContainerConfig'));
  const hostConfig = deref(ensureDef('HostConfig'));
  if (config.kind !== 'struct' || hostConfig.kind !== 'struct') throw new Error('ContainerConfig/HostConfig not structs');
  const own = deref(roots.get('ContainerCreate')!);
  if (own.kind !== 'struct') throw new Error('ContainerCreate not a struct');
  const fields = new Map<string, Node>();
  const ownNames = ['HostConfig', 'NetworkingConfig'];
  for (const [k, v] of config.fields) fields.set(k, v);
  for (const [k, v] of hostConfig.fields) {
    if (ownNames.includes(k)) continue;
    if ([...fields.keys()].some((f) => goFoldKey(f) === goFoldKey(k))) throw new Error(`ContainerCreate: ${k} is both a Config and a HostConfig field`);
    fields.set(k, v);
  }
  fields.set('Cpuset', S);
  for (const k of ownNames) fields.set(k, own.fields.get(k)!);
  for (const k of own.fields.keys()) if (!fields.has(k)) throw new Error(`ContainerCreate: spec field ${k} lost`);
  roots.set('ContainerCreate', { kind: 'struct', fields });
}

// ---- output ----
const ident = (name: string): string => `D_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
function render(n: Node, indent: string): string {
  switch (n.kind) {
    case 'ref':
      return ident(n.name);
    case 'scalar':
      return { string: 'S', number: 'N', boolean: 'B', any: 'A' }[n.type];
    case 'array':
      return `arr(${render(n.items, indent)})`;
    case 'map':
      return `map(${render(n.values, indent)})`;
    case 'struct': {
      if (n.fields.size === 0) return 'struct({})';
      const inner = indent + '  ';
      const lines = [...n.fields].map(([k, v]) => `${inner}${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k)}: ${render(v, inner)},`);
      return `struct({\n${lines.join('\n')}\n${indent}})`;
    }
  }
}

const out: string[] = [];
out.push(`// GENERATED by scripts/gen-schemas.ts from the Docker Engine API spec v${doc.info.version}`);
out.push('// unioned with moby 20.10 request structs. Do not edit; re-run the generator.');
out.push('/* eslint-disable */');
out.push(`import type { Descriptor } from './schemas.js';`);
out.push('');
out.push(`type Fields = Readonly<Record<string, Descriptor>>;`);
out.push(`const S: Descriptor = { kind: 'scalar', type: 'string' };`);
out.push(`const N: Descriptor = { kind: 'scalar', type: 'number' };`);
out.push(`const B: Descriptor = { kind: 'scalar', type: 'boolean' };`);
out.push(`const A: Descriptor = { kind: 'scalar', type: 'any' };`);
out.push(`const arr = (items: Descriptor): Descriptor => ({ kind: 'array', items });`);
out.push(`const map = (values: Descriptor): Descriptor => ({ kind: 'map', values });`);
out.push(`const struct = (fields: Fields): Descriptor => ({ kind: 'struct', fields });`);
out.push('');
out.push(`/** The spec version the descriptors were generated from. */`);
out.push(`export const SCHEMAS_SPEC_VERSION = ${JSON.stringify(doc.info.version)};`);
out.push('');
for (const name of order) out.push(`const ${ident(name)} = ${render(defs.get(name)!, '')};\n`);
out.push('/** Body descriptors by operationId. */');
out.push('export const SCHEMAS = {');
for (const id of OPERATIONS) out.push(`  ${id}: ${render(roots.get(id)!, '  ')},`);
out.push('} as const satisfies Record<string, Descriptor>;');
out.push('');
out.push('export type SchemaOperation = keyof typeof SCHEMAS;');
out.push('');
/** Which spec definition (or inline title) each operation body comes from, for the spec test. */
out.push('/** Spec definitions each generated descriptor covers (used by test/inspect/schemas.test.ts). */');
out.push(`export const SCHEMA_DEFINITIONS: readonly string[] = ${JSON.stringify(order)};`);
out.push('');

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, '..', 'src', 'inspect', 'schemas.generated.ts');
writeFileSync(target, out.join('\n'));
for (const w of warnings) console.warn(`warning: ${w}`);
console.log(`wrote ${target} (${order.length} definitions, ${OPERATIONS.length} operations)`);
