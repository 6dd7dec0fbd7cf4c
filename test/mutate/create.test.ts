import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPERATIONS_BY_ID } from '../../src/catalogue/operations.js';
import { loadConfig } from '../../src/config/load.js';
import { JsonNumber, type JsonObject, type JsonValue } from '../../src/inspect/json-value.js';
import type { InspectVerdict, Inspector } from '../../src/inspect/types.js';
import { createMutationInspector, mergeMutation, mutateCreate, mutationSchema, type Mutation, type MutationOverrides } from '../../src/mutate/create.js';
import { compilePolicies, PolicyError } from '../../src/policy/compile.js';
import type { PolicySpec } from '../../src/policy/types.js';
import { fakeLookup, j } from '../policy/constraints/helpers.js';

const G = 1024 ** 3;
const M = 1024 ** 2;

function mutation(o: MutationOverrides): Mutation {
  const m = mergeMutation(o);
  assert.ok(m, 'expected a mutation');
  return m;
}

/** The mutated body of a ContainerCreate with the given HostConfig (and top-level fields). */
function mutated(o: MutationOverrides, hostConfig?: Record<string, unknown>, extra: Record<string, unknown> = {}): JsonObject {
  const body = j({ Image: 'busybox', ...(hostConfig === undefined ? {} : { HostConfig: hostConfig }), ...extra });
  return mutateCreate(body, mutation(o));
}

const hc = (b: JsonObject): JsonObject => b['HostConfig'] as JsonObject;
const lit = (v: JsonValue | undefined): string => {
  assert.ok(v instanceof JsonNumber, `expected a JsonNumber, got ${String(v)}`);
  return v.literal;
};

async function run(inspector: Inspector, body: unknown): Promise<InspectVerdict> {
  const op = OPERATIONS_BY_ID.get('ContainerCreate');
  assert.ok(op);
  assert.ok(inspector.wants(op));
  return inspector.check({
    op,
    method: op.method,
    path: op.path,
    params: {},
    query: new Map(),
    version: null,
    client: 'test',
    body: body === null ? null : j(body),
    lookup: fakeLookup(),
  });
}

describe('mutation of ContainerCreate', () => {
  test('labels are forced, overwriting the client, and other labels are kept', () => {
    const b = mutated({ labels: { team: 'ci', __proto__x: 'y' } }, {}, { Labels: { team: 'evil', app: 'web' } });
    assert.deepEqual(b['Labels'], { team: 'ci', __proto__x: 'y', app: 'web' });
    const none = mutated({ labels: { team: 'ci' } });
    assert.deepEqual(none['Labels'], { team: 'ci' });
    assert.equal('HostConfig' in none, false, 'no HostConfig added when no HostConfig key is mutated');
  });

  test('noNewPrivileges is added unless already on; off forms are dropped', () => {
    assert.deepEqual(hc(mutated({ noNewPrivileges: true }))['SecurityOpt'], ['no-new-privileges']);
    assert.deepEqual(hc(mutated({ noNewPrivileges: true }, { SecurityOpt: ['apparmor=docker-default'] }))['SecurityOpt'], [
      'apparmor=docker-default',
      'no-new-privileges',
    ]);
    assert.deepEqual(hc(mutated({ noNewPrivileges: true }, { SecurityOpt: ['no-new-privileges:true'] }))['SecurityOpt'], ['no-new-privileges:true']);
    assert.deepEqual(hc(mutated({ noNewPrivileges: true }, { SecurityOpt: ['no-new-privileges=false', 'label=user:u'] }))['SecurityOpt'], [
      'label=user:u',
      'no-new-privileges',
    ]);
    // on, then off later: dockerd would take the last; the off item goes.
    assert.deepEqual(hc(mutated({ noNewPrivileges: true }, { SecurityOpt: ['no-new-privileges', 'no-new-privileges:0'] }))['SecurityOpt'], ['no-new-privileges']);
    // Not no-new-privileges to dockerd (a space, an upper-case key): kept as sent, and the real one added.
    assert.deepEqual(hc(mutated({ noNewPrivileges: true }, { SecurityOpt: [' no-new-privileges=true', 'NO-NEW-PRIVILEGES'] }))['SecurityOpt'], [
      ' no-new-privileges=true',
      'NO-NEW-PRIVILEGES',
      'no-new-privileges',
    ]);
  });

  test('capDropAll sets CapDrop to ALL and leaves CapAdd alone', () => {
    const h = hc(mutated({ capDropAll: true }, { CapDrop: ['NET_RAW'], CapAdd: ['CHOWN'] }));
    assert.deepEqual(h['CapDrop'], ['ALL']);
    assert.deepEqual(h['CapAdd'], ['CHOWN']);
  });

  test('readOnlyRootfs sets ReadonlyRootfs, even over the client\'s false', () => {
    assert.equal(hc(mutated({ readOnlyRootfs: true }, { ReadonlyRootfs: false }))['ReadonlyRootfs'], true);
  });

  test('memory: default when absent or 0, clamped above max, the client\'s lower value kept as sent', () => {
    const m = { memory: { default: 512 * M, max: 2 * G } };
    assert.equal(lit(hc(mutated(m))['Memory']), String(512 * M));
    assert.equal(lit(hc(mutated(m, { Memory: 0 }))['Memory']), String(512 * M));
    assert.equal(lit(hc(mutated(m, { Memory: -1 }))['Memory']), String(512 * M));
    assert.equal(lit(hc(mutated(m, { Memory: 8 * G }))['Memory']), String(2 * G));
    const low = hc(mutateCreate(j({ HostConfig: { Memory: new JsonNumber('1.0e8') } }), mutation(m)))['Memory'];
    assert.equal(lit(low), '1.0e8');
    // max alone: unlimited is above any max
    assert.equal(lit(hc(mutated({ memory: { max: G } }, { Memory: 0 }))['Memory']), String(G));
    // default alone: no cap
    assert.equal(lit(hc(mutated({ memory: { default: G } }, { Memory: 8 * G }))['Memory']), String(8 * G));
  });

  test('pidsLimit: default for 0 / -1 / absent, clamped above max', () => {
    const m = { pidsLimit: { default: 256, max: 1024 } };
    assert.equal(lit(hc(mutated(m))['PidsLimit']), '256');
    assert.equal(lit(hc(mutated(m, { PidsLimit: -1 }))['PidsLimit']), '256');
    assert.equal(lit(hc(mutated(m, { PidsLimit: 5000 }))['PidsLimit']), '1024');
    assert.equal(lit(hc(mutated(m, { PidsLimit: 100 }))['PidsLimit']), '100');
  });

  test('nanoCpus: default and max; a CPU quota or period is dropped when NanoCpus is written', () => {
    const m = { nanoCpus: { default: 1e9, max: 2e9 } };
    assert.equal(lit(hc(mutated(m))['NanoCpus']), '1000000000');
    assert.equal(lit(hc(mutated(m, { NanoCpus: 4e9 }))['NanoCpus']), '2000000000');
    assert.equal(lit(hc(mutated(m, { NanoCpus: 5e8 }))['NanoCpus']), '500000000');
    const h = hc(mutated(m, { CpuQuota: 400000, CpuPeriod: 100000, CpuShares: 512 }));
    assert.equal(lit(h['NanoCpus']), '1000000000');
    assert.equal('CpuQuota' in h, false);
    assert.equal('CpuPeriod' in h, false);
    assert.equal(lit(h['CpuShares']), '512');
  });

  test('network is forced only when the client gives none or default', () => {
    assert.equal(hc(mutated({ network: 'none' }))['NetworkMode'], 'none');
    assert.equal(hc(mutated({ network: 'none' }, { NetworkMode: 'default' }))['NetworkMode'], 'none');
    assert.equal(hc(mutated({ network: 'none' }, { NetworkMode: '' }))['NetworkMode'], 'none');
    assert.equal(hc(mutated({ network: 'none' }, { NetworkMode: 'ci-net' }))['NetworkMode'], 'ci-net');
  });

  test('user is forced only when the client gives none', () => {
    assert.equal(mutated({ user: '1000:1000' })['User'], '1000:1000');
    assert.equal(mutated({ user: '1000:1000' }, {}, { User: '' })['User'], '1000:1000');
    assert.equal(mutated({ user: '1000:1000' }, {}, { User: 'nobody' })['User'], 'nobody');
  });

  test('the client\'s body is not changed, and other fields pass through', () => {
    const body = j({ Image: 'busybox', Labels: { a: 'b' }, HostConfig: { Memory: 8 * G, Binds: ['/srv:/srv'] } });
    const before = j({ Image: 'busybox', Labels: { a: 'b' }, HostConfig: { Memory: 8 * G, Binds: ['/srv:/srv'] } });
    const out = mutateCreate(body, mutation({ labels: { team: 'ci' }, memory: { max: G } }));
    assert.deepEqual(body, before);
    assert.equal(out['Image'], 'busybox');
    assert.deepEqual(hc(out)['Binds'], ['/srv:/srv']);
  });

  test('wrong types are refused as malformed', async () => {
    const ins = createMutationInspector(mutation({ labels: { team: 'ci' }, memory: { max: G }, noNewPrivileges: true, user: 'u' }));
    for (const body of [
      [1],
      { Labels: ['team=x'] },
      { HostConfig: 'x' },
      { HostConfig: { Memory: '8g' } },
      { HostConfig: { SecurityOpt: 'no-new-privileges' } },
      { HostConfig: { SecurityOpt: [1] } },
      { User: 0 },
    ]) {
      const v = await run(ins, body);
      assert.equal(v.allowed, false, JSON.stringify(body));
      if (!v.allowed) assert.equal(v.rule, 'PC_DENIED_MALFORMED_BODY');
    }
    const ok = await run(ins, null);
    assert.ok(ok.allowed && ok.body !== undefined);
  });

  test('only ContainerCreate is mutated', () => {
    const ins = createMutationInspector(mutation({ readOnlyRootfs: true }));
    assert.equal(ins.wants(OPERATIONS_BY_ID.get('ContainerUpdate')!), false);
    assert.equal(ins.wants(OPERATIONS_BY_ID.get('ContainerCreate')!), true);
  });
});

describe('merging and schema', () => {
  test('merging along extends: child wins key by key; labels and limits merge; nothing is null', () => {
    assert.equal(mergeMutation(), null);
    assert.equal(mergeMutation({ capDropAll: true }, { capDropAll: false }), null);
    const m = mergeMutation(
      { labels: { team: 'base', env: 'ci' }, memory: { default: M, max: G }, user: 'a', network: 'none' },
      { labels: { team: 'child' }, memory: { max: 2 * G }, user: 'b' },
    );
    assert.ok(m);
    assert.deepEqual(m.labels, { team: 'child', env: 'ci' });
    assert.deepEqual(m.memory, { default: M, max: 2 * G });
    assert.equal(m.user, 'b');
    assert.equal(m.network, 'none');
    // a null max in the child removes the base's
    assert.deepEqual(mergeMutation({ memory: { default: M, max: G } }, { memory: { max: null } })?.memory, { default: M, max: null });
    // a default above the max is clamped once
    assert.deepEqual(mergeMutation({ pidsLimit: { default: 5000, max: 100 } })?.pidsLimit, { default: 100, max: 100 });
  });

  test('the schema reads the loader\'s text: booleans, sizes with suffixes, counts', () => {
    assert.deepEqual(
      mutationSchema.parse({
        labels: { team: 'ci', n: 1 },
        noNewPrivileges: 'true',
        capDropAll: 'False',
        readOnlyRootfs: true,
        memory: { default: '512m', max: '2g' },
        pidsLimit: { default: '256', max: 1024 },
        nanoCpus: { default: '1000000000' },
        network: 'none',
        user: '1000:1000',
      }),
      {
        labels: { team: 'ci', n: '1' },
        noNewPrivileges: true,
        capDropAll: false,
        readOnlyRootfs: true,
        memory: { default: 512 * M, max: 2 * G },
        pidsLimit: { default: 256, max: 1024 },
        nanoCpus: { default: 1e9 },
        network: 'none',
        user: '1000:1000',
      },
    );
  });

  test('schema errors', () => {
    for (const bad of [
      { memory: { max: 'lots' } },
      { memory: { max: '0' } },
      { memory: { limit: '1g' } },
      { pidsLimit: { default: '-1' } },
      { nanoCpus: { default: '1.5' } },
      { noNewPrivileges: 'yes' },
      { network: '' },
      { user: '' },
      { labels: { '': 'x' } },
      { labels: ['team=ci'] },
      { cpus: '1.5' },
    ]) {
      assert.equal(mutationSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });

  test('the config loader takes a mutate block and rejects unknown keys', () => {
    const base = `listeners:\n  - address: tcp://127.0.0.1:2375\n    policy: ci\npolicies:\n  ci:\n    extends: hardened\n`;
    const { policies } = loadConfig({
      env: {},
      text: `${base}    mutate:\n      labels: { team: ci }\n      noNewPrivileges: true\n      memory: { default: 512m, max: 2g }\n      network: none\n      user: "1000:1000"\n`,
    });
    assert.ok(policies.get('ci')?.inspector);
    assert.throws(() => loadConfig({ env: {}, text: `${base}    mutate:\n      memory: { max: huge }\n` }), /mutate\.memory\.max/);
    assert.throws(() => loadConfig({ env: {}, text: `${base}    mutate:\n      cpus: "1.5"\n` }), /mutate/);
  });
});

describe('in the policy chain', () => {
  function inspector(specs: Record<string, PolicySpec>, name = 'ci'): Inspector {
    const p = compilePolicies(specs).get(name);
    assert.ok(p?.inspector, 'expected an inspector');
    return p.inspector;
  }

  test('the constraints judge the mutated body, which is what is forwarded', async () => {
    const ins = inspector({
      ci: { extends: 'hardened', rules: [], mutate: { memory: { max: 2 * G }, capDropAll: true }, constraints: { memory: { max: 4 * G, required: true } } },
    });
    // No memory: refused by `required` without mutation; the mutation fills in the max.
    const v = await run(ins, { Image: 'busybox', HostConfig: { Memory: 0 } });
    assert.equal(v.allowed, true, v.allowed ? '' : v.reason);
    if (!v.allowed) return;
    const body = v.body as JsonObject;
    assert.equal(lit(hc(body)['Memory']), String(2 * G));
    assert.deepEqual(hc(body)['CapDrop'], ['ALL']);
  });

  test('a mutated create the constraints refuse is still refused', async () => {
    const ins = inspector({
      base: { extends: 'hardened', rules: [], mutate: { network: 'host', readOnlyRootfs: true } },
      ci: { extends: 'base', rules: [], mutate: { memory: { default: 2 * G } }, constraints: { memory: { max: G } } },
    });
    // network forced to host: hardened refuses host namespaces
    const v = await run(ins, { Image: 'busybox', HostConfig: { Memory: 512 * M } });
    assert.equal(v.allowed, false);
    if (!v.allowed) assert.equal(v.rule, 'PC_DENIED_NAMESPACE');
    // the client's own network: the memory default (2g) is above the constraints' max (1g)
    const w = await run(ins, { Image: 'busybox', HostConfig: { NetworkMode: 'bridge' } });
    assert.equal(w.allowed, false);
    if (!w.allowed) assert.equal(w.rule, 'PC_DENIED_RESOURCE_LIMIT');
    // and a client's privileged request stays refused whatever is mutated
    const x = await run(ins, { Image: 'busybox', HostConfig: { NetworkMode: 'bridge', Memory: 512 * M, Privileged: true } });
    assert.equal(x.allowed, false);
    if (!x.allowed) assert.equal(x.rule, 'PC_DENIED_PRIVILEGED');
  });

  test('mutation alone gives a policy an inspector; a policy without it has none added', () => {
    assert.ok(compilePolicies({ m: { rules: [], mutate: { user: 'u' } } }).get('m')?.inspector);
    assert.equal(compilePolicies({ p: { rules: [] } }).get('p')?.inspector, null);
  });

  test('mutate.labels may not overwrite the tenancy owner label', () => {
    assert.throws(
      () => compilePolicies({ ci: { extends: 'hardened', rules: [], tenancy: { ownership: true }, mutate: { labels: { 'io.portcullis.owner': 'x' } } } }),
      (e: unknown) => e instanceof PolicyError && e.path.join('.') === 'policies.ci.mutate.labels.io.portcullis.owner',
    );
  });
});
