import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { buildGeneration } from '../../src/reload/generation.js';
import { ListenerSet } from '../../src/reload/listeners.js';
import { Reloader, type ReloadResult } from '../../src/reload/reloader.js';
import { Runtime } from '../../src/reload/runtime.js';

const silent = pino({ level: 'silent' });

function yaml(ports: number[], policy: string): string {
  return `listeners:\n${ports.map((p, i) => `  - { name: l${i}, address: "tcp://127.0.0.1:${p}", policy: ${policy} }\n`).join('')}upstream: { address: "unix:///nonexistent.sock" }\n`;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('Reloader', () => {
  let dir: string;
  let file: string;
  let runtime: Runtime;
  let set: ListenerSet;
  let reloader: Reloader;
  const results: ReloadResult[] = [];
  const accepted: string[] = [];
  let port0: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-reload-'));
    file = join(dir, 'config.yaml');
    port0 = await freePort();
    await writeFile(file, yaml([port0], 'read-only'));
    const loaded = loadConfig({ file, env: {} });
    runtime = new Runtime(await buildGeneration(1, loaded, silent));
    set = new ListenerSet((listener, socket) => {
      accepted.push(listener);
      socket.destroy();
    }, silent);
    await set.start(loaded.config.listeners);
    reloader = new Reloader({ file, env: {} }, runtime, (id, l) => buildGeneration(id, l, silent), set, silent, (r) => results.push(r));
  });
  after(async () => {
    set.close();
    runtime.current.identifier.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the running generation and its listeners when a new listener cannot be bound', async () => {
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const taken = (squatter.address() as net.AddressInfo).port;
    try {
      await writeFile(file, yaml([port0, taken], 'hardened'));
      assert.equal(await reloader.reload('SIGHUP'), 'failure');
      assert.equal(runtime.current.id, 1);
      assert.equal(runtime.current.config.listeners[0]!.policy, 'read-only');
      assert.deepEqual(set.addresses().map((a) => a.name), ['l0']);
      assert.ok(await connects(port0));
    } finally {
      squatter.close();
    }
  });

  it('refuses a config with errors and counts it', async () => {
    await writeFile(file, 'listeners: [\n');
    assert.equal(await reloader.reload('SIGHUP'), 'failure');
    assert.equal(runtime.current.id, 1);
  });

  it('swaps in a valid config: new policy, a listener added, the unchanged one still bound', async () => {
    const port1 = await freePort();
    await writeFile(file, yaml([port0, port1], 'hardened'));
    assert.equal(await reloader.reload('SIGHUP'), 'success');
    assert.equal(runtime.current.id, 2);
    assert.equal(runtime.context('l0').policies, runtime.current.policies);
    const id = runtime.identity({ listener: 'l1', remoteAddress: '127.0.0.1', peerCertificate: null }).identify(undefined);
    assert.deepEqual(id, { client: 'l1', policy: 'hardened', by: 'listener' });
    assert.ok(await connects(port0));
    assert.ok(await connects(port1));
    assert.deepEqual(results, ['failure', 'failure', 'success']);
  });

  it('a file change that leaves the text as it was is no reload', async () => {
    assert.equal(await reloader.reload('file'), 'unchanged');
    assert.equal(runtime.current.id, 2);
  });

  it('re-identifies a connection accepted under the old generation', async () => {
    const identity = runtime.identity({ listener: 'l0', remoteAddress: '127.0.0.1', peerCertificate: null });
    assert.equal((identity.identify(undefined) as { policy: string }).policy, 'hardened');
    await writeFile(file, yaml([port0], 'read-only'));
    assert.equal(await reloader.reload('SIGHUP'), 'success');
    assert.equal((identity.identify(undefined) as { policy: string }).policy, 'read-only');
  });
});
