import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPERATIONS_BY_ID } from '../../src/catalogue/operations.js';
import { CONTAINER_OPS, EXEC_OPS, NETWORK_OPS } from '../../src/tenancy/inspector.js';
import { createVisibilityInspector } from '../../src/visibility/inspector.js';
import { mergeVisibility } from '../../src/visibility/model.js';
import { allowed, daemon, DB1, enc, expectHidden, expectRule, N1, run, WEB1, X } from './helpers.js';

describe('visibility: container object routes', () => {
  it('every container route pins a visible container and answers dockerd\'s 404 for a hidden one', async () => {
    for (const op of CONTAINER_OPS) {
      assert.deepEqual(await run({ op, params: { id: 'web1' } }), { allowed: true, params: { id: WEB1 } }, op);
      expectHidden(await run({ op, params: { id: 'db1' } }), 'No such container: db1');
    }
  });

  it('a container visible through its label only is visible', async () => {
    assert.deepEqual(await run({ op: 'ContainerStop', params: { id: 'x' } }), { allowed: true, params: { id: X } });
  });

  it('references resolve as dockerd resolves them, among the visible containers only', async () => {
    for (const ref of ['web1', '/web1', WEB1, 'c1']) assert.deepEqual(await run({ op: 'ContainerInspect', params: { id: ref } }), { allowed: true, params: { id: WEB1 } }, ref);
    for (const ref of [DB1, 'c2', '/db1', 'web1/db', 'nope']) expectHidden(await run({ op: 'ContainerInspect', params: { id: ref } }), `No such container: ${ref}`);
  });

  it('an ID prefix shared with a hidden container resolves to the visible one, and the reference is never looked up directly', async () => {
    const lookup = daemon();
    assert.deepEqual(await run({ op: 'ContainerKill', params: { id: 'c' }, lookup }), { allowed: true, params: { id: WEB1 } });
    assert.deepEqual(lookup.calls, ['/containers/json?all=1']);
  });

  it('the visible set is narrowed by the daemon when the selector is one exact label', async () => {
    const path = `/containers/json?all=1&filters=${enc({ label: { 'expose=yes': true } })}`;
    const lookup = daemon({ [path]: { status: 200, body: [{ Id: X, Names: ['/x'], Labels: { expose: 'yes' } }] } });
    assert.deepEqual(await run({ op: 'ContainerInspect', params: { id: 'x' }, lookup }, { containers: { labels: ['expose=yes'] } }), { allowed: true, params: { id: X } });
    assert.deepEqual(lookup.calls, [path]);
  });

  it('a look-up that fails refuses (fail closed)', async () => {
    expectRule(await run({ op: 'ContainerInspect', params: { id: 'web1' }, lookup: daemon({ '/containers/json?all=1': { status: 500, body: { message: 'x' } } }) }), 'PC_INSPECT_FAILED');
    expectRule(await run({ op: 'ContainerInspect', params: { id: 'web1' }, lookup: daemon({ '/containers/json?all=1': new Error('connection refused') }) }), 'PC_INSPECT_FAILED');
  });

  it('a kind that is not restricted is not inspected at all', () => {
    const inspector = createVisibilityInspector(mergeVisibility({ volumes: { names: ['data-*'] } })!);
    for (const op of [...CONTAINER_OPS, ...EXEC_OPS, ...NETWORK_OPS, 'ContainerList', 'NetworkList', 'ContainerPrune']) {
      assert.equal(inspector.wants(OPERATIONS_BY_ID.get(op)!), false, op);
    }
    for (const op of ['VolumeInspect', 'VolumeList', 'VolumePrune', 'VolumeCreate', 'ContainerCreate', 'SystemEvents', 'SystemDataUsage']) {
      assert.equal(inspector.wants(OPERATIONS_BY_ID.get(op)!), true, op);
    }
  });

  it('ImageCommit pins its container parameter and hides others', async () => {
    const v = allowed(await run({ op: 'ImageCommit', query: { container: ['web1'], repo: ['r'] } }));
    assert.deepEqual([...(v.query ?? [])], [['container', [WEB1]], ['repo', ['r']]]);
    expectHidden(await run({ op: 'ImageCommit', query: { container: ['db1'] } }), 'No such container: db1');
  });
});

describe('visibility: exec routes', () => {
  const execs = { '/exec/e1/json': { status: 200, body: { ContainerID: WEB1 } }, '/exec/e2/json': { status: 200, body: { ContainerID: DB1 } } };
  it('an exec of a visible container passes; one of a hidden container and an unknown one answer No such exec instance', async () => {
    for (const op of EXEC_OPS) {
      assert.deepEqual(await run({ op, params: { id: 'e1' }, lookup: daemon(execs) }), { allowed: true }, op);
      expectHidden(await run({ op, params: { id: 'e2' }, lookup: daemon(execs) }), 'No such exec instance: e2');
      expectHidden(await run({ op, params: { id: 'e3' }, lookup: daemon(execs) }), 'No such exec instance: e3');
    }
  });
});

describe('visibility: rename', () => {
  const named = (name: string) => `/containers/json?all=1&filters=${enc({ name: { [`^/${name}$`]: true } })}`;

  it('a visible container may take a name that keeps it visible', async () => {
    const lookup = daemon({ [named('web3')]: { status: 200, body: [] }, [named('anything')]: { status: 200, body: [] } });
    assert.deepEqual(await run({ op: 'ContainerRename', params: { id: 'web1' }, query: { name: ['web3'] }, lookup }), { allowed: true, params: { id: WEB1 } });
    // visible through its label: any name keeps it visible
    assert.deepEqual(await run({ op: 'ContainerRename', params: { id: 'x' }, query: { name: ['anything'] }, lookup }), { allowed: true, params: { id: X } });
  });

  it('a name that would hide the container is refused', async () => {
    expectRule(await run({ op: 'ContainerRename', params: { id: 'web1' }, query: { name: ['db9'] } }), 'PC_VISIBILITY_OUTSIDE');
  });

  it('a name a hidden container holds is a Conflict that does not name that container', async () => {
    const lookup = daemon({ [named('db1')]: { status: 200, body: [{ Id: DB1, Names: ['/db1'], Labels: {} }] } });
    const v = await run({ op: 'ContainerRename', params: { id: 'x' }, query: { name: ['db1'] }, lookup });
    expectHidden(v, 'Conflict. The container name "/db1" is already in use. You have to remove (or rename) that container to be able to reuse that name.', 409);
  });
});

describe('visibility: network and volume routes', () => {
  it('a visible network is pinned by name or prefix; a hidden one is not found', async () => {
    for (const ref of ['app-net', N1, 'f1', 'f']) {
      const v = allowed(await run({ op: 'NetworkDelete', params: { id: ref } }));
      assert.deepEqual(v.params, { id: N1 }, ref);
    }
    for (const op of NETWORK_OPS) expectHidden(await run({ op, params: { id: 'secret-net' } }), 'network secret-net not found');
  });

  it('NetworkInspect shows only the visible containers attached', async () => {
    const v = allowed(await run({ op: 'NetworkInspect', params: { id: 'app-net' } }));
    assert.deepEqual(v.params, { id: N1 });
    const shown = v.response!({ Name: 'app-net', Containers: { [WEB1]: { Name: 'web1' }, [DB1]: { Name: 'db1' } } });
    assert.deepEqual(shown, { Name: 'app-net', Containers: { [WEB1]: { Name: 'web1' } } });
  });

  it('connect and disconnect pin the body\'s container, and hide a hidden one', async () => {
    for (const op of ['NetworkConnect', 'NetworkDisconnect']) {
      const v = allowed(await run({ op, params: { id: 'app-net' }, body: { Container: 'web1' } }));
      assert.deepEqual(v.params, { id: N1 });
      assert.deepEqual(v.body, { Container: WEB1 });
      expectHidden(await run({ op, params: { id: 'app-net' }, body: { Container: 'db1' } }), 'No such container: db1');
    }
  });

  it('volumes: exact names of visible volumes (by name or label) pass; hidden ones answer no such volume', async () => {
    for (const name of ['data-1', 'kept']) assert.deepEqual(await run({ op: 'VolumeInspect', params: { name } }), { allowed: true, params: { name } });
    for (const op of ['VolumeInspect', 'VolumeDelete', 'VolumeUpdate']) expectHidden(await run({ op, params: { name: 'secret' } }), 'get secret: no such volume');
  });
});
