import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { OPERATIONS } from '../../src/catalogue/operations.js';
import { route, type RouteMatch } from '../../src/routing/router.js';

/*
 * A deliberately naive model of dockerd's mux, written from moby's sources without looking at
 * the router: decode the path to bytes, then walk gorilla's route list in registration order,
 * each route registered as `/v{version:[0-9.]+}` + path and then as the plain path. Templates are
 * copied as moby spells them; ids outside the catalogue are named `dockerd:...`.
 */
const MOBY_ROUTES: readonly (readonly [string, string, string])[] = [
  // checkpoint
  ['GET', '/containers/{name:.*}/checkpoints', 'CheckpointList'],
  ['POST', '/containers/{name:.*}/checkpoints', 'CheckpointCreate'],
  ['DELETE', '/containers/{name}/checkpoints/{checkpoint}', 'CheckpointDelete'],
  // container
  ['HEAD', '/containers/{name:.*}/archive', 'ContainerArchiveInfo'],
  ['GET', '/containers/json', 'ContainerList'],
  ['GET', '/containers/{name:.*}/export', 'ContainerExport'],
  ['GET', '/containers/{name:.*}/changes', 'ContainerChanges'],
  ['GET', '/containers/{name:.*}/json', 'ContainerInspect'],
  ['GET', '/containers/{name:.*}/top', 'ContainerTop'],
  ['GET', '/containers/{name:.*}/logs', 'ContainerLogs'],
  ['GET', '/containers/{name:.*}/stats', 'ContainerStats'],
  ['GET', '/containers/{name:.*}/attach/ws', 'ContainerAttachWebsocket'],
  ['GET', '/exec/{id:.*}/json', 'ExecInspect'],
  ['GET', '/containers/{name:.*}/archive', 'ContainerArchive'],
  ['POST', '/containers/create', 'ContainerCreate'],
  ['POST', '/containers/{name:.*}/kill', 'ContainerKill'],
  ['POST', '/containers/{name:.*}/pause', 'ContainerPause'],
  ['POST', '/containers/{name:.*}/unpause', 'ContainerUnpause'],
  ['POST', '/containers/{name:.*}/restart', 'ContainerRestart'],
  ['POST', '/containers/{name:.*}/start', 'ContainerStart'],
  ['POST', '/containers/{name:.*}/stop', 'ContainerStop'],
  ['POST', '/containers/{name:.*}/wait', 'ContainerWait'],
  ['POST', '/containers/{name:.*}/resize', 'ContainerResize'],
  ['POST', '/containers/{name:.*}/attach', 'ContainerAttach'],
  ['POST', '/containers/{name:.*}/exec', 'ContainerExec'],
  ['POST', '/exec/{name:.*}/start', 'ExecStart'],
  ['POST', '/exec/{name:.*}/resize', 'ExecResize'],
  ['POST', '/containers/{name:.*}/rename', 'ContainerRename'],
  ['POST', '/containers/{name:.*}/update', 'ContainerUpdate'],
  ['POST', '/containers/prune', 'ContainerPrune'],
  ['POST', '/commit', 'ImageCommit'],
  ['PUT', '/containers/{name:.*}/archive', 'PutContainerArchive'],
  ['DELETE', '/containers/{name:.*}', 'ContainerDelete'],
  // image
  ['GET', '/images/json', 'ImageList'],
  ['GET', '/images/search', 'ImageSearch'],
  ['GET', '/images/get', 'ImageGetAll'],
  ['GET', '/images/{name:.*}/get', 'ImageGet'],
  ['GET', '/images/{name:.*}/history', 'ImageHistory'],
  ['GET', '/images/{name:.*}/json', 'ImageInspect'],
  ['GET', '/images/{name:.*}/attestations', 'ImageAttestations'],
  ['POST', '/images/load', 'ImageLoad'],
  ['POST', '/images/create', 'ImageCreate'],
  ['POST', '/images/{name:.*}/push', 'ImagePush'],
  ['POST', '/images/{name:.*}/tag', 'ImageTag'],
  ['POST', '/images/prune', 'ImagePrune'],
  ['DELETE', '/images/{name:.*}', 'ImageDelete'],
  // system
  ['OPTIONS', '/{anyroute:.*}', 'dockerd:options'],
  ['GET', '/_ping', 'SystemPing'],
  ['HEAD', '/_ping', 'SystemPingHead'],
  ['GET', '/events', 'SystemEvents'],
  ['GET', '/info', 'SystemInfo'],
  ['GET', '/version', 'SystemVersion'],
  ['GET', '/system/df', 'SystemDataUsage'],
  ['POST', '/auth', 'SystemAuth'],
  // volume
  ['GET', '/volumes', 'VolumeList'],
  ['GET', '/volumes/{name:.*}', 'VolumeInspect'],
  ['POST', '/volumes/create', 'VolumeCreate'],
  ['POST', '/volumes/prune', 'VolumePrune'],
  ['PUT', '/volumes/{name:.*}', 'VolumeUpdate'],
  ['DELETE', '/volumes/{name:.*}', 'VolumeDelete'],
  // build
  ['POST', '/build', 'ImageBuild'],
  ['POST', '/build/prune', 'BuildPrune'],
  ['POST', '/build/cancel', 'BuildCancel'],
  // session
  ['POST', '/session', 'Session'],
  // swarm
  ['POST', '/swarm/init', 'SwarmInit'],
  ['POST', '/swarm/join', 'SwarmJoin'],
  ['POST', '/swarm/leave', 'SwarmLeave'],
  ['GET', '/swarm', 'SwarmInspect'],
  ['GET', '/swarm/unlockkey', 'SwarmUnlockkey'],
  ['POST', '/swarm/update', 'SwarmUpdate'],
  ['POST', '/swarm/unlock', 'SwarmUnlock'],
  ['GET', '/services', 'ServiceList'],
  ['GET', '/services/{id}', 'ServiceInspect'],
  ['POST', '/services/create', 'ServiceCreate'],
  ['POST', '/services/{id}/update', 'ServiceUpdate'],
  ['DELETE', '/services/{id}', 'ServiceDelete'],
  ['GET', '/services/{id}/logs', 'ServiceLogs'],
  ['GET', '/nodes', 'NodeList'],
  ['GET', '/nodes/{id}', 'NodeInspect'],
  ['DELETE', '/nodes/{id}', 'NodeDelete'],
  ['POST', '/nodes/{id}/update', 'NodeUpdate'],
  ['GET', '/tasks', 'TaskList'],
  ['GET', '/tasks/{id}', 'TaskInspect'],
  ['GET', '/tasks/{id}/logs', 'TaskLogs'],
  ['GET', '/secrets', 'SecretList'],
  ['POST', '/secrets/create', 'SecretCreate'],
  ['DELETE', '/secrets/{id}', 'SecretDelete'],
  ['GET', '/secrets/{id}', 'SecretInspect'],
  ['POST', '/secrets/{id}/update', 'SecretUpdate'],
  ['GET', '/configs', 'ConfigList'],
  ['POST', '/configs/create', 'ConfigCreate'],
  ['DELETE', '/configs/{id}', 'ConfigDelete'],
  ['GET', '/configs/{id}', 'ConfigInspect'],
  ['POST', '/configs/{id}/update', 'ConfigUpdate'],
  // plugin
  ['GET', '/plugins', 'PluginList'],
  ['GET', '/plugins/{name:.*}/json', 'PluginInspect'],
  ['GET', '/plugins/privileges', 'GetPluginPrivileges'],
  ['DELETE', '/plugins/{name:.*}', 'PluginDelete'],
  ['POST', '/plugins/{name:.*}/enable', 'PluginEnable'],
  ['POST', '/plugins/{name:.*}/disable', 'PluginDisable'],
  ['POST', '/plugins/pull', 'PluginPull'],
  ['POST', '/plugins/{name:.*}/push', 'PluginPush'],
  ['POST', '/plugins/{name:.*}/upgrade', 'PluginUpgrade'],
  ['POST', '/plugins/{name:.*}/set', 'PluginSet'],
  ['POST', '/plugins/create', 'PluginCreate'],
  // distribution
  ['GET', '/distribution/{name:.*}/json', 'DistributionInspect'],
  // network
  ['GET', '/networks', 'NetworkList'],
  ['GET', '/networks/', 'dockerd:networks-slash'],
  ['GET', '/networks/{id:.+}', 'NetworkInspect'],
  ['POST', '/networks/create', 'NetworkCreate'],
  ['POST', '/networks/{id:.*}/connect', 'NetworkConnect'],
  ['POST', '/networks/{id:.*}/disconnect', 'NetworkDisconnect'],
  ['POST', '/networks/prune', 'NetworkPrune'],
  ['DELETE', '/networks/{id:.*}', 'NetworkDelete'],
  // debug
  ['GET', '/debug/vars', 'dockerd:debug'],
  ['GET', '/debug/pprof/', 'dockerd:debug'],
  ['GET', '/debug/pprof/cmdline', 'dockerd:debug'],
  ['GET', '/debug/pprof/profile', 'dockerd:debug'],
  ['GET', '/debug/pprof/symbol', 'dockerd:debug'],
  ['GET', '/debug/pprof/trace', 'dockerd:debug'],
  ['GET', '/debug/pprof/{name}', 'dockerd:debug'],
  // grpc
  ['POST', '/grpc', 'GRPC'],
];

/** gorilla template -> Go regexp, with Go's `.` (any rune but \n) spelled for JS */
function gorillaRegex(template: string): string {
  return template.replace(/\{(\w+)(?::([^}]+))?\}|([^{]+)/g, (_all, _name: string, pattern?: string, literal?: string) => {
    if (literal !== undefined) return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return '(' + (pattern ?? '[^/]+').replace(/\.(?![^[]*\])/g, '[^\\n]') + ')';
  });
}

const MUX: readonly { method: string; re: RegExp; id: string; versioned: boolean }[] = MOBY_ROUTES.flatMap(
  ([method, template, id]) => [
    { method, re: new RegExp('^' + gorillaRegex('/v{version:[0-9.]+}' + template) + '$', 'u'), id, versioned: true },
    { method, re: new RegExp('^' + gorillaRegex(template) + '$', 'u'), id, versioned: false },
  ],
);

function percentDecode(raw: string): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else bytes.push(...new TextEncoder().encode(raw[i]));
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

interface ModelMatch {
  id: string;
  version: string | null;
  values: string[];
}

function model(method: string, target: string): ModelMatch | null {
  const q = target.indexOf('?');
  const path = percentDecode(q === -1 ? target : target.slice(0, q));
  if (path === null) return null;
  for (const r of MUX) {
    if (r.method !== method) continue;
    const m = r.re.exec(path);
    if (m === null) continue;
    const groups = m.slice(1) as string[];
    return r.versioned ? { id: r.id, version: groups[0] as string, values: groups.slice(1) } : { id: r.id, version: null, values: groups };
  }
  return null;
}

function sameVersion(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return false;
  return true;
}

function assertAgreesWithModel(method: string, target: string, match: RouteMatch): void {
  const expected = model(method, target);
  assert.ok(expected, `router accepted ${method} ${target} as ${match.op.id}, the model finds no route`);
  assert.equal(match.op.id, expected.id, `${method} ${target}`);
  assert.deepEqual(Object.values(match.params), expected.values, `${method} ${target}`);
  if (expected.version === null) assert.equal(match.version, null);
  else assert.ok(match.version !== null && sameVersion(match.version, expected.version), `${target}: ${match.version}`);
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'get', 'PATCH'];
const LITERALS = [
  ...new Set(OPERATIONS.flatMap((o) => o.path.split('/')).filter((s) => s !== '' && !s.startsWith('{'))),
];
const SEGMENTS = [
  ...LITERALS,
  'abc',
  'library',
  'busybox:latest',
  'sha256:00ff',
  'json',
  'JSON',
  'Containers',
  '.',
  '..',
  '',
  '%2F',
  '%2f',
  'a%2Fb',
  '%2e',
  '%2E%2E',
  '.a',
  'v1.41',
  'v1.41.0',
  'v01.041',
  'v1.23',
  'v1..41',
  'v',
  '\u00e9',
  '%C3%A9',
  '%E2%80%A8',
  '%0A',
  '%00',
  '%zz',
  '%',
  'a+b',
  'a;b',
  'a b',
  '#',
  '?',
];
const QUERIES = ['', '?', '?a=1', '?a=1&a=2', '?a=1;b=2', '?q=a+b%2Bc', '?x=%zz', '?signal=HUP&signal=KILL', '?&&', '?k', '?a=b=c', '?%C3%A9=%E2%9C%93'];

const vocabularyTarget = fc
  .tuple(fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 6 }), fc.constantFrom(...QUERIES))
  .map(([segments, query]) => '/' + segments.join('/') + query);

/** Targets built from the catalogue's own templates, so that most of them route. */
const templatedRequest = fc
  .tuple(
    fc.constantFrom(...OPERATIONS),
    fc.constantFrom('', '/v1.41', '/v1.41.0', '/v01.041', '/v1.56', '/%761.44'),
    fc.array(fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 2 }),
    fc.constantFrom(...QUERIES),
  )
  .map(([op, prefix, fills, query]) => {
    let i = 0;
    const path = op.path.replace(/\{\w+\}/g, () => (fills[i++ % fills.length] as string[]).join('/'));
    return { method: op.method as string, target: prefix + path + query };
  });

const anyRequest = fc.oneof(
  fc.record({ method: fc.constantFrom(...METHODS), target: vocabularyTarget }),
  templatedRequest,
  fc.record({ method: fc.constantFrom(...METHODS), target: fc.string({ unit: 'grapheme', maxLength: 60 }) }),
  fc.record({ method: fc.string({ maxLength: 8 }), target: fc.string({ unit: 'binary', maxLength: 60 }).map((s) => '/' + s) }),
);

const RUNS = { numRuns: 5000 };

test('route never throws, whatever the method and target', () => {
  fc.assert(
    fc.property(anyRequest, ({ method, target }) => {
      const r = route(method, target);
      assert.equal(typeof r.ok, 'boolean');
    }),
    RUNS,
  );
});

test('routing the forwarded target again gives the same operation, params, path, query and target', () => {
  fc.assert(
    fc.property(anyRequest, ({ method, target }) => {
      const first = route(method, target);
      if (!first.ok) return;
      const second = route(method, first.match.target);
      assert.ok(second.ok, `forwarded ${first.match.target} refused: ${second.ok ? '' : second.reason}`);
      assert.equal(second.match.op.id, first.match.op.id);
      assert.deepEqual(second.match.params, first.match.params);
      assert.equal(second.match.path, first.match.path);
      assert.equal(second.match.version, first.match.version);
      assert.deepEqual([...second.match.query], [...first.match.query]);
      assert.equal(second.match.target, first.match.target);
    }),
    RUNS,
  );
});

test('whenever the router accepts, dockerd (modelled) runs the same operation with the same params', () => {
  let accepted = 0;
  fc.assert(
    fc.property(anyRequest, ({ method, target }) => {
      const r = route(method, target);
      if (!r.ok) return;
      accepted++;
      assertAgreesWithModel(method, target, r.match);
      // and so does the target Portcullis forwards
      assertAgreesWithModel(method, r.match.target, r.match);
    }),
    RUNS,
  );
  assert.ok(accepted > RUNS.numRuns / 10, `only ${accepted} generated requests were routed`);
});

test('exhaustively, parameters that swallow other routes\' literals resolve as in dockerd', () => {
  // Each parameter filled with one segment, or with a literal of any route beside it: the shapes
  // where registration order and `.*` versus `[^/]+` decide which route wins.
  const fillers = [...LITERALS, 'y'];
  const fills = [['x'], ...fillers.flatMap((l) => [['x', l], [l, 'x'], ['x', l, 'y']])].map((f) => f.join('/'));
  let checked = 0;
  for (const op of OPERATIONS) {
    const names = [...op.path.matchAll(/\{\w+\}/g)].length;
    const combos: string[][] = names === 0 ? [[]] : names === 1 ? fills.map((f) => [f]) : fills.flatMap((a) => fills.map((b) => [a, b]));
    for (const combo of combos) {
      let i = 0;
      const target = op.path.replace(/\{\w+\}/g, () => combo[i++] as string);
      for (const t of [target, '/v1.41' + target]) {
        const r = route(op.method, t);
        if (!r.ok) continue;
        checked++;
        assertAgreesWithModel(op.method, t, r.match);
      }
    }
  }
  assert.ok(checked > 10000, `only ${checked} cases routed`);
});

test('the model itself knows the tricky cases', () => {
  assert.equal(model('GET', '/images/foo/json/get')?.id, 'ImageGet');
  assert.equal(model('DELETE', '/containers/a/checkpoints/b')?.id, 'CheckpointDelete');
  assert.equal(model('GET', '/v1.41/containers/json')?.id, 'ContainerList');
  assert.equal(model('GET', '/networks/')?.id, 'dockerd:networks-slash');
});
