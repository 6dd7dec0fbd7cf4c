import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPERATIONS } from '../../src/catalogue/operations.js';
import { printConfig } from '../../src/cli/config-print.js';
import { ConfigError, loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { admit, inspect } from '../../src/proxy/authorize.js';

function load(env: Record<string, string>): LoadedConfig {
  return loadConfig({ env });
}

function decide(loaded: LoadedConfig, method: string, target: string): { allowed: boolean; rule: string } {
  const policy = loaded.policies.get(loaded.config.listeners[0]!.policy!)!;
  const a = admit({ method, target, upgrade: null, hasBody: false, contentTypes: [] }, policy, loaded.config.limits.minApiVersion);
  return { allowed: a.allowed, rule: a.rule };
}

const allows = (env: Record<string, string>, method: string, target: string): boolean => decide(load(env), method, target).allowed;

describe('which environments are read', () => {
  it('no socket-proxy variable: the built-in read-only default on loopback', () => {
    const loaded = load({});
    assert.equal(loaded.source, '<default>');
    assert.equal(loaded.config.listeners[0]!.policy, 'read-only');
  });

  it('PORTCULLIS_LISTEN moves the default listener (the image listens on 0.0.0.0:2375)', () => {
    const loaded = load({ PORTCULLIS_LISTEN: 'tcp://0.0.0.0:2375' });
    assert.deepEqual(loaded.config.listeners[0]!.address, { kind: 'tcp', host: '0.0.0.0', port: 2375 });
    assert.equal(loaded.config.listeners[0]!.policy, 'read-only');
  });

  it('any section variable switches to the environment policy, with Tecnativa defaults EVENTS=1 PING=1 VERSION=1', () => {
    const loaded = load({ CONTAINERS: '0' });
    assert.equal(loaded.source, '<environment>');
    assert.equal(decide(loaded, 'GET', '/_ping').allowed, true);
    assert.equal(decide(loaded, 'HEAD', '/v1.41/_ping').allowed, true, 'Traefik 3.6 negotiates with HEAD /_ping');
    assert.equal(decide(loaded, 'GET', '/version').allowed, true);
    assert.equal(decide(loaded, 'GET', '/events').allowed, true);
    assert.equal(decide(loaded, 'GET', '/containers/json').allowed, false);
    assert.equal(decide(loaded, 'GET', '/info').allowed, false);
  });

  it('PING=0 closes both ping methods', () => {
    assert.equal(allows({ PING: '0' }, 'HEAD', '/_ping'), false);
    assert.equal(allows({ PING: '0' }, 'GET', '/_ping'), false);
  });

  it('refuses values other than 0 and 1, naming the variable', () => {
    assert.throws(() => load({ CONTAINERS: 'true' }), (e: unknown) => e instanceof ConfigError && /CONTAINERS="true": must be 0 or 1/.test(e.message));
    assert.throws(() => load({ POST: 'yes' }), ConfigError);
    assert.throws(() => load({ PORTCULLIS_COMPAT: 'haproxy', PING: '1' }), /PORTCULLIS_COMPAT/);
    assert.throws(() => load({ PING: '1', LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
    assert.throws(() => load({ PING: '1', SOCKET_PATH: 'docker.sock' }), /SOCKET_PATH/);
  });

  it('SOCKET_PATH is the upstream and LOG_LEVEL maps syslog names', () => {
    const loaded = load({ PING: '1', SOCKET_PATH: '/run/user/1000/docker.sock', LOG_LEVEL: 'warning' });
    assert.deepEqual(loaded.config.upstream.address, { kind: 'unix', path: '/run/user/1000/docker.sock' });
    assert.equal(loaded.config.log.level, 'warn');
    assert.equal(load({ PING: '1', LOG_LEVEL: 'err' }).config.log.level, 'error');
  });

  it('DISABLE_IPV6 is accepted (Portcullis binds only what PORTCULLIS_LISTEN names)', () => {
    assert.equal(load({ PING: '1', DISABLE_IPV6: '1' }).config.listeners.length, 1);
  });
});

describe('sections and POST', () => {
  it('a section opens its reads; POST=1 adds its writes', () => {
    assert.equal(allows({ IMAGES: '1' }, 'GET', '/v1.41/images/json'), true);
    assert.equal(allows({ IMAGES: '1' }, 'DELETE', '/v1.41/images/busybox'), false);
    assert.equal(allows({ IMAGES: '1', POST: '1' }, 'DELETE', '/v1.41/images/busybox'), true);
    assert.equal(allows({ IMAGES: '1', POST: '1' }, 'GET', '/v1.41/volumes'), false, 'another section stays closed');
  });

  it('every operation is opened by exactly the section of its path, never by another', () => {
    for (const op of OPERATIONS) {
      const target = op.path.replace('{id}', 'abc').replace('{name}', 'busybox').replace('{checkpoint}', 'c');
      const everythingButOwn = { AUTH: '1', BUILD: '1', COMMIT: '1', CONFIGS: '1', DISTRIBUTION: '1', EVENTS: '1', EXEC: '1', GRPC: '1', IMAGES: '1', INFO: '1', NETWORKS: '1', NODES: '1', PING: '1', PLUGINS: '1', SECRETS: '1', SERVICES: '1', SESSION: '1', SWARM: '1', SYSTEM: '1', TASKS: '1', VERSION: '1', VOLUMES: '1', CONTAINERS: '1', POST: '1' };
      const own = Object.keys(everythingButOwn).find((v) => target.split('/')[1] === v.toLowerCase() || (v === 'PING' && target.startsWith('/_ping')));
      assert.ok(own !== undefined, op.id);
      const env: Record<string, string> = { ...everythingButOwn, [own]: '0', ALLOW_START: '0', ALLOW_STOP: '0', ALLOW_RESTARTS: '0' };
      assert.equal(allows(env, op.method, target), false, `${op.id} with ${own}=0`);
    }
  });
});

describe('lifecycle switches', () => {
  it('linuxserver (default): ALLOW_START works with POST=0 and only it opens start', () => {
    assert.equal(allows({ ALLOW_START: '1' }, 'POST', '/containers/abc/start'), true);
    assert.equal(allows({ ALLOW_START: '1' }, 'POST', '/containers/abc/stop'), false);
    assert.equal(allows({ CONTAINERS: '1', POST: '1' }, 'POST', '/containers/abc/start'), false, 'CONTAINERS and POST do not open start without ALLOW_START');
  });

  it('linuxserver: ALLOW_RESTARTS opens restart and kill, ALLOW_STOP stop, ALLOW_PAUSE/UNPAUSE pause and unpause', () => {
    const env = { ALLOW_RESTARTS: '1' };
    assert.equal(allows(env, 'POST', '/containers/abc/restart'), true);
    assert.equal(allows(env, 'POST', '/containers/abc/kill'), true);
    assert.equal(allows(env, 'POST', '/containers/abc/stop'), false, 'nginx matches the stop location first');
    assert.equal(allows({ ALLOW_STOP: '1' }, 'POST', '/containers/abc/stop'), true);
    assert.equal(allows({ ALLOW_PAUSE: '1' }, 'POST', '/containers/abc/pause'), true);
    assert.equal(allows({ ALLOW_PAUSE: '1' }, 'POST', '/containers/abc/unpause'), false);
    assert.equal(allows({ ALLOW_UNPAUSE: '1' }, 'POST', '/containers/abc/unpause'), true);
  });

  it('tecnativa: the switches need POST=1, and CONTAINERS with POST opens them all', () => {
    const t = { PORTCULLIS_COMPAT: 'tecnativa' };
    assert.equal(allows({ ...t, ALLOW_START: '1' }, 'POST', '/containers/abc/start'), false);
    assert.equal(allows({ ...t, ALLOW_START: '1', POST: '1' }, 'POST', '/containers/abc/start'), true);
    assert.equal(allows({ ...t, ALLOW_START: '1', POST: '1' }, 'POST', '/containers/create'), false);
    assert.equal(allows({ ...t, ALLOW_RESTARTS: '1', POST: '1' }, 'POST', '/containers/abc/stop'), true);
    assert.equal(allows({ ...t, CONTAINERS: '1', POST: '1' }, 'POST', '/containers/abc/restart'), true);
  });
});

describe('read guards and the places Portcullis is stricter', () => {
  it('CONTAINERS=1 keeps archive and export closed until ALLOW_ARCHIVE / ALLOW_EXPORT', () => {
    assert.equal(allows({ CONTAINERS: '1' }, 'GET', '/containers/abc/archive?path=/etc'), false);
    assert.equal(allows({ CONTAINERS: '1' }, 'GET', '/containers/abc/export'), false);
    assert.equal(allows({ CONTAINERS: '1', ALLOW_ARCHIVE: '1' }, 'GET', '/containers/abc/archive?path=/etc'), true);
    assert.equal(allows({ CONTAINERS: '1', ALLOW_ARCHIVE: '1' }, 'PUT', '/containers/abc/archive?path=/etc'), false, 'a write still needs POST');
    assert.equal(allows({ CONTAINERS: '1', ALLOW_EXPORT: '1' }, 'GET', '/containers/abc/export'), true);
  });

  it('ALLOW_LOGS, ALLOW_TOP, ALLOW_CHANGES default on and can close their reads', () => {
    for (const [v, target] of [['ALLOW_LOGS', '/containers/abc/logs'], ['ALLOW_TOP', '/containers/abc/top'], ['ALLOW_CHANGES', '/containers/abc/changes']] as const) {
      assert.equal(allows({ CONTAINERS: '1' }, 'GET', target), true, target);
      assert.equal(allows({ CONTAINERS: '1', [v]: '0' }, 'GET', target), false, target);
      assert.equal(allows({ CONTAINERS: '1', [v]: '0' }, 'GET', '/containers/abc/json'), true);
    }
  });

  it('creating an exec needs EXEC as well as CONTAINERS; the websocket attach needs POST', () => {
    assert.equal(allows({ CONTAINERS: '1', POST: '1' }, 'POST', '/containers/abc/exec'), false);
    assert.equal(allows({ CONTAINERS: '1', POST: '1', EXEC: '1' }, 'POST', '/containers/abc/exec'), true);
    assert.equal(allows({ CONTAINERS: '1' }, 'GET', '/containers/abc/attach/ws'), false);
    assert.equal(allows({ CONTAINERS: '1', POST: '1' }, 'GET', '/containers/abc/attach/ws'), true);
  });

  it('names the deciding variable in the rule', () => {
    assert.equal(decide(load({ CONTAINERS: '1' }), 'GET', '/containers/json').rule, 'compat-CONTAINERS');
    assert.equal(decide(load({ ALLOW_START: '1' }), 'POST', '/containers/x/start').rule, 'compat-ALLOW_START');
  });
});

describe('hardening, visibility and scrubbing on top', () => {
  const privileged = Buffer.from(JSON.stringify({ Image: 'busybox', HostConfig: { Privileged: true } }));
  const plain = Buffer.from(JSON.stringify({ Image: 'busybox' }));

  async function create(env: Record<string, string>, body: Buffer): Promise<boolean> {
    const loaded = load(env);
    const policy = loaded.policies.get('environment')!;
    const head = { method: 'POST', target: '/v1.41/containers/create', upgrade: null, hasBody: true, contentTypes: ['application/json'] };
    const a = admit(head, policy, '1.24');
    assert.ok(a.allowed);
    if (!a.inspect) return true;
    const offline = () => Promise.reject(new Error('no daemon'));
    const r = await inspect(policy, 'POST', a.match, body, 'c', offline);
    return r.allowed;
  }

  it('PORTCULLIS_HARDEN=1 refuses a privileged container the same env otherwise lets through', async () => {
    const env = { CONTAINERS: '1', POST: '1' };
    assert.equal(await create(env, privileged), true);
    assert.equal(await create({ ...env, PORTCULLIS_HARDEN: '1' }, privileged), false);
    assert.equal(await create({ ...env, PORTCULLIS_HARDEN: '1' }, plain), true);
  });

  it('CONTAINER_NAMES / CONTAINER_LABELS become substring visibility, SCRUB_ENVS redaction', () => {
    const loaded = load({ CONTAINERS: '1', CONTAINER_NAMES: 'web, db', CONTAINER_LABELS: 'homepage,env=prod', SCRUB_ENVS: 'true' });
    const spec = loaded.config.policies['environment']!;
    assert.deepEqual(spec.visibility, { match: 'substring', containers: { names: ['web', 'db'], labels: ['homepage', 'env=prod'] } });
    assert.deepEqual(spec.redact, { env: true });
    assert.equal(load({ CONTAINERS: '1' }).config.policies['environment']!.visibility, undefined);
  });
});

describe('config print', () => {
  it('prints YAML that loads to the same decisions for every operation', () => {
    const env = { CONTAINERS: '1', IMAGES: '1', POST: '1', ALLOW_START: '1', CONTAINER_NAMES: 'web', SCRUB_ENVS: '1', PORTCULLIS_HARDEN: '1', SOCKET_PATH: '/tmp/d.sock' };
    const first = load(env);
    const again = loadConfig({ text: printConfig(first), env: {} });
    assert.deepEqual(again.config, first.config);
    for (const op of OPERATIONS) {
      const target = op.path.replace('{id}', 'abc').replace('{name}', 'busybox').replace('{checkpoint}', 'c');
      assert.equal(decide(again, op.method, target).allowed, decide(first, op.method, target).allowed, op.id);
    }
  });

  it('prints a file normalised, with tokens as digests only', () => {
    const text = `listeners:
  - address: tcp://localhost:2375
    policy: read-only
  - address: unix:///tmp/x.sock
    mode: 0660
    policy: read-only
clients:
  - name: ci
    token: s3cret-token
    policy: hardened
`;
    const first = loadConfig({ text, env: {} });
    const printed = printConfig(first);
    assert.doesNotMatch(printed, /s3cret-token/);
    assert.match(printed, /tokenHash: sha256:[0-9a-f]{64}/);
    assert.deepEqual(loadConfig({ text: printed, env: {} }).config, first.config);
  });
});
