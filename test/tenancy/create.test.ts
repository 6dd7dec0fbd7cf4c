import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicies } from '../../src/policy/compile.js';
import { createTenancyInspector } from '../../src/tenancy/inspector.js';
import { mergeTenancy } from '../../src/tenancy/model.js';
import { A1, A2, AB_B, allowed, B1, daemon, expectHidden, expectRule, j, LABEL, namePath, run, SHARED_NAMES } from './helpers.js';

describe('tenancy: ContainerCreate', () => {
  it('adds the owner label, creating Labels', async () => {
    assert.deepEqual(await run({ op: 'ContainerCreate', body: { Image: 'busybox' } }), { allowed: true, body: j({ Image: 'busybox', Labels: { [LABEL]: 'alice' } }) });
  });

  it('overwrites an owner label the client supplies, keeping its other labels', async () => {
    const v = await run({ op: 'ContainerCreate', body: { Image: 'busybox', Labels: { [LABEL]: 'bob', app: 'x' } } });
    assert.deepEqual(v, { allowed: true, body: j({ Image: 'busybox', Labels: { [LABEL]: 'alice', app: 'x' } }) });
  });

  it('refuses at the quota and allows below it', async () => {
    const at = createTenancyInspector(mergeTenancy({ ownership: true, quotas: { containers: 3 } })!);
    expectRule(await run({ op: 'ContainerCreate', body: { Image: 'i' } }, at), 'PC_QUOTA_CONTAINERS');
    const below = createTenancyInspector(mergeTenancy({ ownership: true, quotas: { containers: 4 } })!);
    assert.equal((await run({ op: 'ContainerCreate', body: { Image: 'i' } }, below)).allowed, true);
  });

  it('with one name space, answers a name taken by another client with a 409 that names no ID', async () => {
    const lookup = daemon({ [namePath('api')]: { status: 200, body: [{ Id: B1, Names: ['/api'] }] } }, 'shared');
    expectHidden(
      await run({ op: 'ContainerCreate', query: { name: ['api'] }, body: { Image: 'i' }, lookup }, SHARED_NAMES),
      'Conflict. The container name "/api" is already in use by another client. You have to remove (or rename) that container to be able to reuse that name.',
      409,
    );
  });

  it('with one name space, leaves a clash with an own container, a free name and a regex near-miss to dockerd, names unchanged', async () => {
    const lookup = daemon(
      {
        [namePath('web')]: { status: 200, body: [{ Id: A1, Names: ['/web'] }] },
        [namePath('new')]: { status: 200, body: [{ Id: B1, Names: ['/new2'] }] },
        [namePath('free')]: { status: 200, body: [] },
      },
      'shared',
    );
    for (const name of ['web', 'new', 'free']) {
      assert.deepEqual(await run({ op: 'ContainerCreate', query: { name: [name] }, body: { Image: 'i' }, lookup }, SHARED_NAMES), {
        allowed: true,
        body: j({ Image: 'i', Labels: { [LABEL]: 'alice' } }),
      }, name);
    }
  });

  it('with name prefixes, another client\'s container of the same name is no clash: the name goes to the daemon prefixed', async () => {
    const lookup = daemon({ [namePath('alice.api')]: { status: 200, body: [] } });
    const v = await run({ op: 'ContainerCreate', query: { name: ['api'] }, body: { Image: 'i' }, lookup });
    assert.deepEqual(Object.fromEntries(allowed(v).query!), { name: ['alice.api'] });
    assert.ok(lookup.calls.includes(namePath('alice.api')));
    assert.ok(!lookup.calls.includes(namePath('api')));
  });

  it('with name prefixes, a container in the client\'s name space it does not own still clashes with a 409', async () => {
    // e.g. created past the proxy: it holds the daemon name, but is not the client's
    const lookup = daemon({ [namePath('alice.api')]: { status: 200, body: [{ Id: B1, Names: ['/alice.api'] }] } });
    expectHidden(
      await run({ op: 'ContainerCreate', query: { name: ['api'] }, body: { Image: 'i' }, lookup }),
      'Conflict. The container name "/api" is already in use by another client. You have to remove (or rename) that container to be able to reuse that name.',
      409,
    );
    const own = daemon({ [namePath('alice.web')]: { status: 200, body: [{ Id: A1, Names: ['/alice.web'] }] } });
    assert.deepEqual(Object.fromEntries(allowed(await run({ op: 'ContainerCreate', query: { name: ['web'] }, body: { Image: 'i' }, lookup: own })).query!), { name: ['alice.web'] });
  });

  it('pins references to visible containers and hides the others', async () => {
    const v = await run({
      op: 'ContainerCreate',
      body: { Image: 'i', HostConfig: { NetworkMode: 'container:web', PidMode: 'container:db', VolumesFrom: ['web:ro', 'db'], Links: ['web', 'db:database'] } },
    });
    assert.deepEqual(v, {
      allowed: true,
      body: j({
        Image: 'i',
        HostConfig: { NetworkMode: `container:${A1}`, PidMode: `container:${A2}`, VolumesFrom: [`${A1}:ro`, A2], Links: [`${A1}:web`, `${A2}:database`] },
        Labels: { [LABEL]: 'alice' },
      }),
    });
    for (const hc of [{ NetworkMode: 'container:api' }, { IpcMode: 'container:api' }, { VolumesFrom: ['api:ro'] }, { Links: ['api:a'] }]) {
      expectHidden(await run({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: hc } }), 'No such container: api');
    }
    // a prefix shared with a hidden container resolves to the visible one
    const bob = await run({ op: 'ContainerCreate', client: 'bob', body: { Image: 'i', HostConfig: { NetworkMode: 'container:ab' } } });
    assert.ok(bob.allowed && JSON.stringify(bob.body).includes(`container:${AB_B}`));
  });
});

describe('tenancy chained with constraints', () => {
  const policies = compilePolicies({
    tenant: { extends: 'hardened', rules: [{ id: 'all', allow: ['*'] }], constraints: {}, tenancy: { ownership: true } },
    parent: { rules: [{ id: 'all', allow: ['*'] }], tenancy: { ownership: true, quotas: { containers: 3 } } },
    child: { extends: 'parent', rules: [], tenancy: { quotas: { containers: 10 } } },
    off: { extends: 'parent', rules: [], tenancy: { ownership: false } },
  });

  it('still refuses a privileged create by a tenant', async () => {
    expectRule(await run({ op: 'ContainerCreate', body: { Image: 'i', HostConfig: { Privileged: true } } }, policies.get('tenant')!.inspector!), 'PC_DENIED_PRIVILEGED');
  });

  it('labels an acceptable create and hides before the constraints look anything up', async () => {
    const inspector = policies.get('tenant')!.inspector!;
    const v = await run({ op: 'ContainerCreate', body: { Image: 'i' } }, inspector);
    assert.ok(v.allowed && JSON.stringify(v.body).includes('"alice"'));
    expectHidden(await run({ op: 'ContainerStart', params: { id: 'api' } }, inspector), 'No such container: api');
  });

  it('the constraints see the pinned ID', async () => {
    const lookup = daemon({ [`/containers/${A1}/json`]: { status: 200, body: { Id: A1, HostConfig: { Privileged: true } } } });
    const v = await run({ op: 'ContainerStart', params: { id: 'web' }, lookup }, policies.get('tenant')!.inspector!);
    expectRule(v, 'PC_DENIED_START_UNSAFE');
    assert.ok(lookup.calls.includes(`/containers/${A1}/json`));
  });

  it('merges tenancy along extends (child overrides) and leaves policies without it alone', async () => {
    assert.equal((await run({ op: 'ContainerCreate', body: { Image: 'i' } }, policies.get('child')!.inspector!)).allowed, true);
    expectRule(await run({ op: 'ContainerCreate', body: { Image: 'i' } }, policies.get('parent')!.inspector!), 'PC_QUOTA_CONTAINERS');
    assert.equal(policies.get('off')!.inspector, null);
    assert.equal(compilePolicies({}).get('hardened')!.inspector?.wants({ id: 'ContainerList' } as never) ?? false, false);
  });
});
