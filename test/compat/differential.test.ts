/**
 * Differential test: Portcullis built from Tecnativa's variables (PORTCULLIS_COMPAT=tecnativa)
 * against HAProxy running Tecnativa's own rules (bench/haproxy.cfg.ts) with the same environment,
 * over every catalogued operation with and without version prefixes plus odd spellings. Every
 * disagreement must fall in one of the differences docs/compat.md documents (DIFFERENCES below);
 * anything else fails the test.
 *
 * HAProxy forwards what it allows to a stub upstream that answers 200 to anything, so its verdict
 * is read from the status; Portcullis's verdict comes from admit(), the proxy's own decision path.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, stopChild } from '../../bench/haproxy.js';
import { haproxyCfg } from '../../bench/haproxy.cfg.js';
import { OPERATIONS } from '../../src/catalogue/operations.js';
import type { Operation } from '../../src/catalogue/operation.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { admit } from '../../src/proxy/authorize.js';

interface Probe {
  readonly method: string;
  readonly target: string;
  /** the operation dockerd would run, or null for a target dockerd does not route */
  readonly op: Operation | null;
  /** the version prefix is below Portcullis's floor (1.24) */
  readonly old?: boolean;
  /** reaches this operation through another family's switch */
  readonly cross?: boolean;
}

function concrete(path: string): string {
  return path.replace('{id}', 'abc').replace('{name}', 'busybox').replace('{checkpoint}', 'cp1');
}

/** Percent-encodes the first letter of the first segment: dockerd and HAProxy both decode it. */
function encodedFirst(path: string): string {
  const c = path.charCodeAt(1);
  return `/%${c.toString(16)}${path.slice(2)}`;
}

const probes: Probe[] = [];
for (const op of OPERATIONS) {
  const path = concrete(op.path);
  for (const prefix of ['', '/v1.41', '/v1.24']) probes.push({ method: op.method, target: prefix + path, op });
  probes.push({ method: op.method, target: `/v1.12${path}`, op, old: true });
  probes.push({ method: op.method, target: encodedFirst(path), op });
}
// Spellings dockerd does not route (404) that the unanchored, case-insensitive regexes let through.
for (const target of ['/CONTAINERS/json', '/containersX/json', '/foo/containers/json', '/v1.41/foo/_ping', '/_pingX', '/VERSION', '/infoo', '/volumesfoo', '/eventsX']) {
  probes.push({ method: 'GET', target, op: null });
}
// The optional `(/\w+)?` segment lets one family's switch open another family's route.
const byId = (id: string): Operation => OPERATIONS.find((o) => o.id === id)!;
probes.push({ method: 'GET', target: '/images/containers/json', op: byId('ImageInspect'), cross: true });
probes.push({ method: 'GET', target: '/volumes/containers', op: byId('VolumeInspect'), cross: true });
probes.push({ method: 'GET', target: '/networks/events', op: byId('NetworkInspect'), cross: true });

type Env = Record<string, string>;

/** Tecnativa's image defaults: every switch 0 but EVENTS, PING and VERSION. */
const SWITCHES = ['ALLOW_RESTARTS', 'ALLOW_START', 'ALLOW_STOP', 'AUTH', 'BUILD', 'COMMIT', 'CONFIGS', 'CONTAINERS', 'DISTRIBUTION', 'EVENTS', 'EXEC', 'GRPC', 'IMAGES', 'INFO', 'NETWORKS', 'NODES', 'PING', 'PLUGINS', 'POST', 'SECRETS', 'SERVICES', 'SESSION', 'SWARM', 'SYSTEM', 'TASKS', 'VERSION', 'VOLUMES'];
function envOf(on: Env): Env {
  const base: Env = { LOG_LEVEL: 'info' };
  for (const s of SWITCHES) base[s] = ['EVENTS', 'PING', 'VERSION'].includes(s) ? '1' : '0';
  return { ...base, ...on };
}

const sections = SWITCHES.filter((s) => !s.startsWith('ALLOW_') && s !== 'POST');
const envs: Env[] = [envOf({}), envOf({ EVENTS: '0', PING: '0', VERSION: '0' })];
for (const s of sections) for (const post of ['0', '1']) envs.push(envOf({ [s]: '1', POST: post }));
for (const s of ['ALLOW_START', 'ALLOW_STOP', 'ALLOW_RESTARTS']) for (const post of ['0', '1']) envs.push(envOf({ [s]: '1', POST: post }));
envs.push(envOf({ CONTAINERS: '1', EXEC: '1', POST: '1' }));
envs.push(envOf({ CONTAINERS: '1', IMAGES: '1', NETWORKS: '1', VOLUMES: '1', POST: '1' }));

/**
 * The documented differences (docs/compat.md, "Where Portcullis answers differently"), each a
 * predicate over one disagreement. HAProxy allowing and Portcullis refusing is the only direction
 * any of them goes: Portcullis never allows what Tecnativa's rules refuse.
 */
const DIFFERENCES: ReadonlyArray<readonly [name: string, applies: (p: Probe, env: Env) => boolean]> = [
  ['a target dockerd does not route (unanchored, case-insensitive prefix regexes)', (p) => p.op === null],
  ['one family reached through another family\'s switch by the optional (/\\w+)? segment', (p) => p.cross === true],
  ['an API version below the floor (limits.minApiVersion, 1.24)', (p) => p.old === true],
  ['CONTAINERS=1 does not open archive and export (ALLOW_ARCHIVE, ALLOW_EXPORT)', (p, env) => env['CONTAINERS'] === '1' && ['ContainerArchive', 'ContainerArchiveInfo', 'PutContainerArchive', 'ContainerExport'].includes(p.op?.id ?? '')],
  ['creating an exec needs EXEC=1 as well as CONTAINERS=1', (p, env) => p.op?.id === 'ContainerExec' && env['EXEC'] !== '1'],
  ['the websocket attach writes to the container, so it needs POST=1', (p, env) => p.op?.id === 'ContainerAttachWebsocket' && env['POST'] !== '1'],
];

function portcullisAllows(loaded: LoadedConfig, p: Probe): boolean {
  const policy = loaded.policies.get('environment')!;
  const upgrade = p.op?.upgrade === 'h2c' ? 'h2c' : null;
  return admit({ method: p.method, target: p.target, upgrade, hasBody: false, contentTypes: [] }, policy, loaded.config.limits.minApiVersion).allowed;
}

function haproxyStatus(port: number, agent: http.Agent, p: Probe): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: 'docker' };
    if (p.op?.upgrade === 'h2c') Object.assign(headers, { Upgrade: 'h2c', Connection: 'Upgrade' });
    const req = http.request({ host: '127.0.0.1', port, method: p.method, path: p.target, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const haveHaproxy = spawnSync('haproxy', ['-v']).status === 0;

describe('Tecnativa variables: Portcullis against HAProxy with the original rules', { skip: !haveHaproxy && process.env['PORTCULLIS_REQUIRE_E2E'] !== '1' ? 'haproxy is not installed' : false }, () => {
  let dir: string;
  let stub: http.Server;
  const socketPath = () => join(dir, 'stub.sock');

  before(async () => {
    assert.ok(haveHaproxy, 'haproxy is required (PORTCULLIS_REQUIRE_E2E=1)');
    dir = mkdtempSync(join(tmpdir(), 'portcullis-compat-'));
    // Answers 200 to anything and never upgrades: what reaches it was allowed by HAProxy.
    stub = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('forwarded');
    });
    stub.listen(socketPath());
    await once(stub, 'listening');
  });
  after(() => {
    stub?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('agrees on every probe under every environment, except the documented differences', async () => {
    const unexplained: string[] = [];
    const used = new Set<string>();
    let compared = 0;
    const compare = async (env: Env, slot: number): Promise<void> => {
      const port = await freePort();
      const cfg = join(dir, `haproxy-${slot}.cfg`);
      writeFileSync(cfg, haproxyCfg({ socketPath: socketPath(), port }));
      const child: ChildProcess = spawn('haproxy', ['-f', cfg, '-db'], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'ignore' });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const loaded = loadConfig({ env: { ...env, PORTCULLIS_COMPAT: 'tecnativa' } });
      try {
        await waitListening(port);
        const statuses = await Promise.all(probes.map((p) => haproxyStatus(port, agent, p)));
        probes.forEach((p, i) => {
          const status = statuses[i]!;
          assert.ok(status === 200 || status === 403, `HAProxy answered ${status} to ${p.method} ${p.target}`);
          const theirs = status === 200;
          const ours = portcullisAllows(loaded, p);
          compared++;
          if (theirs === ours) return;
          const on = Object.entries(env).filter(([k, v]) => v === '1' && !['EVENTS', 'PING', 'VERSION'].includes(k)).map(([k]) => k);
          const what = `${p.method} ${p.target} with ${on.join(',') || 'defaults'}: HAProxy ${theirs ? 'allows' : 'denies'}, Portcullis ${ours ? 'allows' : 'denies'}`;
          const difference = theirs && !ours ? DIFFERENCES.find(([, applies]) => applies(p, env)) : undefined;
          if (difference === undefined) unexplained.push(what);
          else used.add(difference[0]);
        });
      } finally {
        agent.destroy();
        await stopChild(child);
      }
    };
    // A few HAProxy instances at once: each spends most of its time waiting on round trips.
    const queue = [...envs];
    await Promise.all(
      [0, 1, 2, 3].map(async (slot) => {
        for (let env = queue.shift(); env !== undefined; env = queue.shift()) await compare(env, slot);
      }),
    );
    assert.deepEqual(unexplained, [], `${unexplained.length} undocumented disagreements`);
    // Each documented difference is observed, so the list cannot keep an entry that no longer applies.
    assert.deepEqual([...used].sort(), DIFFERENCES.map(([n]) => n).sort());
    assert.ok(compared > 10_000, `compared ${compared} decisions`);
  });
});

async function waitListening(port: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/nothing', agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    if (attempt > 500) throw new Error(`haproxy did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
