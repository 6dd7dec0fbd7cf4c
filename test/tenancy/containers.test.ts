import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTAINER_OPS } from '../../src/tenancy/inspector.js';
import { A1, AB_A, B1, bare, daemon, expectHidden, j, ownedPath, respond, run, SHARED_NAMES } from './helpers.js';

describe('tenancy: container object routes', () => {
  it('pins the own container by name, /name, full ID and unique prefix', async () => {
    for (const ref of ['web', '/web', A1, 'a1']) {
      assert.deepEqual(await run({ op: 'ContainerStop', params: { id: ref } }), { allowed: true, params: { id: A1 } }, ref);
    }
  });

  it('resolves the name the client gave, not the daemon\'s prefixed one', async () => {
    expectHidden(await run({ op: 'ContainerStop', params: { id: 'alice.web' } }), 'No such container: alice.web');
    // with one name space the daemon name is the client's
    const lookup = daemon({}, 'shared');
    assert.deepEqual(await run({ op: 'ContainerStop', params: { id: 'web' }, lookup }, SHARED_NAMES), { allowed: true, params: { id: A1 } });
  });

  it('hides another client\'s container by name, daemon name, ID and prefix with dockerd\'s message', async () => {
    for (const ref of ['api', 'bob.api', '/bob.api', B1, 'b1']) {
      expectHidden(await run({ op: 'ContainerInspect', params: { id: ref } }), `No such container: ${ref}`);
    }
  });

  it('resolves a prefix shared with a hidden container to the visible one, and never looks the reference up directly', async () => {
    const lookup = daemon();
    assert.deepEqual(await run({ op: 'ContainerStop', params: { id: 'ab' }, lookup }), { allowed: true, params: { id: AB_A } });
    assert.deepEqual(lookup.calls, [ownedPath('alice')]);
  });

  it('an ambiguous prefix among own containers is hidden', async () => {
    expectHidden(await run({ op: 'ContainerInspect', params: { id: 'a' } }), 'No such container: a');
  });

  it('covers every container route; inspect answers with the client\'s names', async () => {
    for (const op of CONTAINER_OPS) {
      const v = await run({ op, params: { id: 'web' } });
      assert.deepEqual(bare(v, { response: op === 'ContainerInspect' }), { allowed: true, params: { id: A1 } }, op);
      expectHidden(await run({ op, params: { id: 'api' } }), 'No such container: api');
    }
  });

  it('ContainerInspect presents the container under the client\'s names; with one name space it is left alone', async () => {
    const v = await run({ op: 'ContainerInspect', params: { id: 'web' } });
    assert.deepEqual(respond(v, { Id: A1, Name: '/alice.web', HostConfig: { NetworkMode: 'alice.front' } }), j({ Id: A1, Name: '/web', HostConfig: { NetworkMode: 'front' } }));
    const lookup = daemon({}, 'shared');
    assert.deepEqual(await run({ op: 'ContainerInspect', params: { id: 'web' }, lookup }, SHARED_NAMES), { allowed: true, params: { id: A1 } });
  });

  it('a failed look-up refuses (fail closed)', async () => {
    const v = await run({ op: 'ContainerInspect', params: { id: 'web' }, lookup: daemon({ [ownedPath('alice')]: { status: 500, body: { message: 'x' } } }) });
    assert.equal(v.allowed, false);
    if (!v.allowed) assert.equal(v.rule, 'PC_INSPECT_FAILED');
  });

  it('ImageCommit pins the container query parameter and hides others', async () => {
    const v = await run({ op: 'ImageCommit', query: { container: ['web'], repo: ['r'] } });
    assert.ok(v.allowed);
    if (v.allowed) assert.deepEqual([...(v.query ?? [])], [['container', [A1]], ['repo', ['r']]]);
    expectHidden(await run({ op: 'ImageCommit', query: { container: ['api'] } }), 'No such container: api');
  });
});

describe('tenancy: exec routes', () => {
  const execs = { '/exec/e1/json': { status: 200, body: { ContainerID: A1 } }, '/exec/e2/json': { status: 200, body: { ContainerID: B1 } } };
  it('allows an exec of an own container, hides one of another client and an unknown one', async () => {
    for (const op of ['ExecStart', 'ExecInspect', 'ExecResize']) {
      assert.deepEqual(await run({ op, params: { id: 'e1' }, lookup: daemon(execs) }), { allowed: true });
      expectHidden(await run({ op, params: { id: 'e2' }, lookup: daemon(execs) }), 'No such exec instance: e2');
      expectHidden(await run({ op, params: { id: 'e3' }, lookup: daemon(execs) }), 'No such exec instance: e3');
    }
  });
});
