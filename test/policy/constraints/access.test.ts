import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPERATIONS_BY_ID } from '../../../src/catalogue/operations.js';
import { createInspector, HARDENED_CONSTRAINTS, mergeConstraints } from '../../../src/policy/constraints.js';
import { allows, check, denies, fakeLookup, pins } from './helpers.js';

const daemon = fakeLookup({
  '/containers/web/json': { status: 200, body: { Id: 'web', HostConfig: { NetworkMode: 'bridge', Binds: ['cache:/cache'] } } },
  '/containers/dind/json': { status: 200, body: { Id: 'dind', HostConfig: { Privileged: true } } },
  '/containers/rooted/json': { status: 200, body: { Id: 'rooted', HostConfig: { Binds: ['/:/host'] } } },
  '/containers/broken/json': new Error('ECONNRESET'),
  '/volumes/cache': { status: 200, body: { Name: 'cache', Driver: 'local', Options: null } },
  '/exec/e-web/json': { status: 200, body: { ID: 'e-web', ContainerID: 'web', Running: false } },
  '/exec/e-dind/json': { status: 200, body: { ID: 'e-dind', ContainerID: 'dind', Running: false } },
  '/exec/e-none/json': { status: 200, body: { ID: 'e-none' } },
});

const ACCESS = ['PutContainerArchive', 'ContainerArchive', 'ContainerArchiveInfo', 'ContainerAttach', 'ContainerAttachWebsocket'];

describe('copying into or out of, and attaching to, an existing container', () => {
  for (const op of ACCESS) {
    test(`${op} of a container that would be refused at create`, async () => {
      await denies({ op, params: { id: 'rooted' }, query: { path: ['/host/etc'] }, lookup: daemon }, 'PC_DENIED_CONTAINER_UNSAFE', 'container "rooted" would be refused at create', 'bind mount of "/"', '(rule PC_DENIED_BIND_MOUNT)');
      await denies({ op, params: { id: 'dind' }, lookup: daemon }, 'PC_DENIED_CONTAINER_UNSAFE', 'container "dind"', 'HostConfig.Privileged is true (rule PC_DENIED_PRIVILEGED)');
    });
    test(`${op} of a plain container (with a plain named volume) passes`, async () => {
      await allows({ op, params: { id: 'web' }, query: { path: ['/cache'] }, lookup: daemon });
    });
  }
  test('the reason says what was refused', async () => {
    await denies({ op: 'PutContainerArchive', params: { id: 'rooted' }, lookup: daemon }, 'PC_DENIED_CONTAINER_UNSAFE', 'so nothing is copied into it');
    await denies({ op: 'ContainerArchive', params: { id: 'rooted' }, lookup: daemon }, 'PC_DENIED_CONTAINER_UNSAFE', 'so nothing is copied out of it');
    await denies({ op: 'ContainerAttach', params: { id: 'dind' }, lookup: daemon }, 'PC_DENIED_CONTAINER_UNSAFE', 'so no attaching to it');
  });
  test('404 passes (dockerd answers); a failed lookup refuses', async () => {
    await allows({ op: 'PutContainerArchive', params: { id: 'nope' }, lookup: daemon });
    await denies({ op: 'ContainerAttach', params: { id: 'broken' }, lookup: daemon }, 'PC_DENIED_CONTAINER_UNSAFE', 'cannot look up container "broken": ECONNRESET');
  });
  test('accessChecks: false turns the lookups off', () => {
    const off = createInspector(mergeConstraints(HARDENED_CONSTRAINTS, { accessChecks: false }));
    for (const op of ACCESS) assert.equal(off.wants(OPERATIONS_BY_ID.get(op)!), false, op);
    const on = createInspector(mergeConstraints(HARDENED_CONSTRAINTS, { startChecks: false }));
    for (const op of ACCESS) assert.equal(on.wants(OPERATIONS_BY_ID.get(op)!), true, op);
  });
});

describe('ExecStart', () => {
  test('of an exec instance in a container that would be refused at create', async () => {
    await denies({ op: 'ExecStart', params: { id: 'e-dind' }, body: { Detach: false, Tty: false }, lookup: daemon }, 'PC_DENIED_EXEC_UNSAFE', 'container "dind"', 'exec "e-dind"', 'HostConfig.Privileged is true (rule PC_DENIED_PRIVILEGED)');
    await denies({ op: 'ExecStart', params: { id: 'e-none' }, body: {}, lookup: daemon }, 'PC_DENIED_EXEC_UNSAFE', 'names no container');
  });
  test('of an exec instance in a plain container passes; an unknown one is left to dockerd', async () => {
    await allows({ op: 'ExecStart', params: { id: 'e-web' }, body: { Detach: false, Tty: true }, lookup: daemon });
    await allows({ op: 'ExecStart', params: { id: 'e-gone' }, body: {}, lookup: daemon });
  });
  test('exec.checkContainer: false turns it off', () => {
    const off = createInspector(mergeConstraints(HARDENED_CONSTRAINTS, { exec: { checkContainer: false } }));
    assert.equal(off.wants(OPERATIONS_BY_ID.get('ExecStart')!), false);
  });
});

describe('ImageCreate', () => {
  test('fromSrc with a URL (the daemon fetches it) is refused', async () => {
    await denies({ op: 'ImageCreate', query: { fromSrc: ['http://127.0.0.1:8080/admin'], repo: ['x'] } }, 'PC_DENIED_IMAGE_IMPORT', 'fromSrc is "http://127.0.0.1:8080/admin"');
    await denies({ op: 'ImageCreate', query: { fromSrc: ['169.254.169.254'] } }, 'PC_DENIED_IMAGE_IMPORT', '"169.254.169.254"');
    await denies({ op: 'ImageCreate', query: { fromSrc: ['-', 'http://x/'] } }, 'PC_DENIED_IMAGE_IMPORT', '"http://x/"');
    await denies({ op: 'ImageCreate', query: { fromSrc: [''] } }, 'PC_DENIED_IMAGE_IMPORT');
  });
  test('import from the body and pulls pass', async () => {
    await allows({ op: 'ImageCreate', query: { fromSrc: ['-'], repo: ['app'], tag: ['1'] } });
    await allows({ op: 'ImageCreate', query: { fromImage: ['busybox'], tag: ['latest'] } });
    await allows({ op: 'ImageCreate', query: { fromSrc: ['https://example.com/rootfs.tar'] }, constraints: { images: { importUrl: true } } });
  });
});

describe('the checked container is the one addressed', () => {
  const full = 'f'.repeat(64);
  const daemon = fakeLookup({ '/containers/we/json': { status: 200, body: { Id: full, HostConfig: { NetworkMode: 'none' } } } });

  test('a name or ID prefix is forwarded as the full ID the check looked at', async () => {
    for (const op of ['ContainerStart', 'ContainerRestart', 'ContainerUnpause', 'PutContainerArchive', 'ContainerAttach', 'ContainerExec']) {
      await pins({ op, params: { id: 'we' }, body: op === 'ContainerExec' ? { Cmd: ['ls'] } : undefined, lookup: daemon }, full);
    }
  });

  test('a container that does not exist is left to dockerd, unpinned', async () => {
    const v = await check({ op: 'ContainerStart', params: { id: 'gone' }, lookup: daemon });
    assert.deepEqual(v, { allowed: true });
  });
});
