import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPERATIONS_BY_ID } from '../../../src/catalogue/operations.js';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { compilePolicies } from '../../../src/policy/compile.js';
import { constraintsSchema, HARDENED_CONSTRAINTS, mergeConstraints } from '../../../src/policy/constraints.js';
import type { CompiledPolicy } from '../../../src/policy/types.js';
import { fakeLookup, j } from './helpers.js';

const op = (id: string) => OPERATIONS_BY_ID.get(id)!;

async function verdict(p: CompiledPolicy, body: unknown) {
  assert.ok(p.inspector);
  return p.inspector.check({
    op: op('ContainerCreate'), method: 'POST', path: '/containers/create', params: {}, query: new Map(), version: null, client: 't',
    body: j(body), lookup: fakeLookup(),
  });
}

function problems(text: string): string[] {
  try {
    loadConfig({ env: {}, text });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message.split('\n');
  }
  assert.fail('expected a ConfigError');
}

const HEAD = 'listeners:\n  - { address: "tcp://127.0.0.1:2375", policy: ci }\npolicies:\n  ci:\n    extends: hardened\n';

describe('constraints in the config file', () => {
  test('the example of the issue loads, with sizes and booleans parsed', () => {
    const { config, policies } = loadConfig({
      env: {},
      text: `${HEAD}    constraints:
      capAdd: [NET_BIND_SERVICE, cap_sys_time]
      bindMounts: { allow: [/srv/ci], readOnly: true }
      portBindings: { hostIps: [127.0.0.1] }
      memory: { max: 4g }
      pidsLimit: { max: 512, required: true }
      tmpfs: { maxSize: 256m }
`,
    });
    assert.deepEqual(config.policies['ci']?.constraints, {
      capAdd: ['NET_BIND_SERVICE', 'SYS_TIME'],
      bindMounts: { allow: ['/srv/ci'], readOnly: true },
      portBindings: { hostIps: ['127.0.0.1'] },
      memory: { max: 4 * 1024 ** 3 },
      pidsLimit: { max: 512, required: true },
      tmpfs: { maxSize: 256 * 1024 ** 2 },
    });
    assert.ok(policies.get('ci')?.inspector);
  });
  test('unknown keys, bad sizes, ALL and bad values are reported with their place', () => {
    const out = problems(`${HEAD}    constraints:
      privilegd: true
      memory: { max: lots }
      capAdd: [ALL]
      hostNamespaces: [pid, mount]
      bindMounts: { allow: [srv/ci], writable: true }
      portBindings: { hostIps: [localhost], hostPorts: [http] }
      exec: { privileged: maybe }
`);
    const text = out.join('\n');
    for (const expected of [
      '<text>:7:7: policies.ci.constraints.privilegd: unknown key',
      'policies.ci.constraints.memory.max: "lots" is not a size',
      'ALL can never be allowed',
      'policies.ci.constraints.hostNamespaces[1]',
      'policies.ci.constraints.bindMounts.allow[0]: must be an absolute path',
      'policies.ci.constraints.bindMounts.writable: unknown key',
      'policies.ci.constraints.portBindings.hostIps[0]: must be an IP address',
      'policies.ci.constraints.portBindings.hostPorts[0]',
      'policies.ci.constraints.exec.privileged: must be true or false',
    ]) {
      assert.ok(text.includes(expected), `missing ${JSON.stringify(expected)} in\n${text}`);
    }
  });
  test('the schema accepts typed values too', () => {
    assert.deepEqual(constraintsSchema.parse({ memory: { max: 1024, required: false }, tmpfs: { maxSize: null } }), { memory: { max: 1024, required: false }, tmpfs: { maxSize: null } });
  });
});

describe('merge along extends', () => {
  test('a child overrides its base key by key; nested objects merge; lists replace', async () => {
    const policies = compilePolicies({
      base: { extends: 'hardened', rules: [], constraints: { capAdd: ['NET_ADMIN'], bindMounts: { allow: ['/srv'], readOnly: false }, memory: { max: 1024 } } },
      child: { extends: 'base', rules: [], constraints: { capAdd: ['NET_BIND_SERVICE'], bindMounts: { readOnly: true } } },
    });
    const child = policies.get('child')!;
    const base = policies.get('base')!;
    // lists replace: NET_ADMIN is no longer allowed in child
    assert.equal((await verdict(child, { HostConfig: { CapAdd: ['NET_ADMIN'] } })).allowed, false);
    assert.equal((await verdict(base, { HostConfig: { CapAdd: ['NET_ADMIN'] } })).allowed, true);
    // nested: child keeps base's allow list but forces read-only
    assert.deepEqual(await verdict(child, { HostConfig: { Binds: ['/srv/x:/x:ro'] } }), { allowed: true });
    assert.equal((await verdict(child, { HostConfig: { Binds: ['/srv/x:/x'] } })).allowed, false);
    assert.deepEqual(await verdict(base, { HostConfig: { Binds: ['/srv/x:/x'] } }), { allowed: true });
    // inherited untouched key
    const v = await verdict(child, { HostConfig: { Memory: 2048 } });
    assert.equal(v.allowed ? '' : v.rule, 'PC_DENIED_RESOURCE_LIMIT');
  });
  test('keys left out anywhere take the hardened defaults, even without extending hardened', async () => {
    const p = compilePolicies({ mine: { rules: [{ id: 'c', allow: ['containers:write'] }], constraints: { capAdd: ['NET_ADMIN'] } } }).get('mine')!;
    const v = await verdict(p, { HostConfig: { Privileged: true } });
    assert.equal(v.allowed ? '' : v.rule, 'PC_DENIED_PRIVILEGED');
  });
  test('no constraints anywhere in the chain: no inspector', () => {
    const policies = compilePolicies({ ci: { extends: 'read-only', rules: [] }, all: { extends: 'unrestricted', rules: [] } });
    assert.equal(policies.get('read-only')!.inspector, null);
    assert.equal(policies.get('unrestricted')!.inspector, null);
    assert.equal(policies.get('ci')!.inspector, null);
    assert.equal(policies.get('all')!.inspector, null);
    assert.ok(policies.get('hardened')!.inspector);
  });
  test('mergeConstraints does not touch its inputs', () => {
    const before = JSON.stringify(HARDENED_CONSTRAINTS);
    const m = mergeConstraints(HARDENED_CONSTRAINTS, { bindMounts: { allow: ['/x'] } });
    assert.deepEqual(m.bindMounts, { allow: ['/x'], readOnly: true });
    assert.equal(JSON.stringify(HARDENED_CONSTRAINTS), before);
  });
});

describe('built-in profiles', () => {
  const policies = compilePolicies({});
  const decide = (name: string, id: string) => {
    const o = op(id);
    return policies.get(name)!.decide({ op: o, method: o.method, path: o.path, params: {}, query: new Map() }).allowed;
  };
  test('hardened allows ordinary CI work', () => {
    for (const id of ['SystemPing', 'SystemVersion', 'SystemAuth', 'ContainerCreate', 'ContainerStart', 'ContainerLogs', 'ContainerAttach', 'ContainerArchive', 'PutContainerArchive', 'ContainerWait', 'ContainerDelete', 'ContainerExec', 'ExecStart', 'ExecInspect', 'ImageCreate', 'ImageBuild', 'ImagePush', 'ImageTag', 'ImageGet', 'ImageLoad', 'VolumeCreate', 'NetworkCreate', 'NetworkConnect', 'BuildPrune']) {
      assert.equal(decide('hardened', id), true, id);
    }
  });
  test('hardened refuses swarm, plugins, secrets, configs, checkpoints and raw BuildKit', () => {
    for (const id of ['SwarmInit', 'ServiceCreate', 'ServiceList', 'NodeList', 'PluginPull', 'PluginList', 'SecretList', 'SecretInspect', 'SecretCreate', 'ConfigInspect', 'ConfigCreate', 'CheckpointCreate', 'Session', 'GRPC', 'SwarmUnlockkey']) {
      assert.equal(decide('hardened', id), false, id);
    }
  });
  test('unrestricted allows everything', () => {
    for (const o of OPERATIONS_BY_ID.values()) assert.equal(decide('unrestricted', o.id), true, o.id);
  });
});
