import type { HttpMethod, Operation } from '../catalogue/operation.js';
import { OPERATIONS, OPERATIONS_BY_ID } from '../catalogue/operations.js';
import type { ErrorCode } from '../errors.js';
import { decodePath, encodePath } from './path.js';
import { encodeQuery, parseQuery } from './query.js';
import { canonicalApiVersion, compareApiVersions, parseApiVersion } from './version.js';

export interface RouteMatch {
  op: Operation;
  /** decoded path params keyed by the spec's names, e.g. `{ name: 'library/busybox:latest' }`; never empty */
  params: Record<string, string>;
  /** canonical version from the prefix (`1.41`), null without a prefix */
  version: string | null;
  /** canonical decoded path without the version prefix */
  path: string;
  /** Go url.ParseQuery semantics */
  query: Map<string, string[]>;
  /** request-target to forward: canonical version prefix + re-encoded path + re-serialised query */
  target: string;
}

export type RouteResult = { ok: true; match: RouteMatch } | { ok: false; code: ErrorCode; reason: string };

export interface RouteOptions {
  /** lowest API version accepted in a `/vX.Y` prefix; default `1.24`, dockerd's own floor */
  minVersion?: string;
}

/*
 * dockerd's routes in its registration order (daemon/command buildRouters: checkpoint, container,
 * image, system, volume, build, session, swarm, plugin, distribution, network, grpc; each router's
 * initRoutes order). gorilla/mux takes the FIRST registered route whose path and method match, and
 * `{x:.*}` parameters swallow slashes, so order decides e.g. that `GET /images/a/json/get` is
 * ImageGet of `a/json`, and that `DELETE /containers/c/checkpoints/k` is CheckpointDelete (the
 * checkpoint router is registered first precisely so that ContainerDelete does not mask it).
 *
 * Parameter names are the spec's; patterns are dockerd's: `{x:.*}` and `{x:.+}` may contain `/`,
 * plain `{x}` is `[^/]+`. Every route is registered with and without the `/v{version}` prefix.
 */
const DOCKERD_ROUTES: readonly (readonly [HttpMethod, string, string])[] = [
  // checkpoint router
  ['GET', '/containers/{id:.*}/checkpoints', 'CheckpointList'],
  ['POST', '/containers/{id:.*}/checkpoints', 'CheckpointCreate'],
  ['DELETE', '/containers/{id}/checkpoints/{checkpoint}', 'CheckpointDelete'],
  // container router
  ['HEAD', '/containers/{id:.*}/archive', 'ContainerArchiveInfo'],
  ['GET', '/containers/json', 'ContainerList'],
  ['GET', '/containers/{id:.*}/export', 'ContainerExport'],
  ['GET', '/containers/{id:.*}/changes', 'ContainerChanges'],
  ['GET', '/containers/{id:.*}/json', 'ContainerInspect'],
  ['GET', '/containers/{id:.*}/top', 'ContainerTop'],
  ['GET', '/containers/{id:.*}/logs', 'ContainerLogs'],
  ['GET', '/containers/{id:.*}/stats', 'ContainerStats'],
  ['GET', '/containers/{id:.*}/attach/ws', 'ContainerAttachWebsocket'],
  ['GET', '/exec/{id:.*}/json', 'ExecInspect'],
  ['GET', '/containers/{id:.*}/archive', 'ContainerArchive'],
  ['POST', '/containers/create', 'ContainerCreate'],
  ['POST', '/containers/{id:.*}/kill', 'ContainerKill'],
  ['POST', '/containers/{id:.*}/pause', 'ContainerPause'],
  ['POST', '/containers/{id:.*}/unpause', 'ContainerUnpause'],
  ['POST', '/containers/{id:.*}/restart', 'ContainerRestart'],
  ['POST', '/containers/{id:.*}/start', 'ContainerStart'],
  ['POST', '/containers/{id:.*}/stop', 'ContainerStop'],
  ['POST', '/containers/{id:.*}/wait', 'ContainerWait'],
  ['POST', '/containers/{id:.*}/resize', 'ContainerResize'],
  ['POST', '/containers/{id:.*}/attach', 'ContainerAttach'],
  ['POST', '/containers/{id:.*}/exec', 'ContainerExec'],
  ['POST', '/exec/{id:.*}/start', 'ExecStart'],
  ['POST', '/exec/{id:.*}/resize', 'ExecResize'],
  ['POST', '/containers/{id:.*}/rename', 'ContainerRename'],
  ['POST', '/containers/{id:.*}/update', 'ContainerUpdate'],
  ['POST', '/containers/prune', 'ContainerPrune'],
  ['POST', '/commit', 'ImageCommit'],
  ['PUT', '/containers/{id:.*}/archive', 'PutContainerArchive'],
  ['DELETE', '/containers/{id:.*}', 'ContainerDelete'],
  // image router
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
  // system router
  ['GET', '/_ping', 'SystemPing'],
  ['HEAD', '/_ping', 'SystemPingHead'],
  ['GET', '/events', 'SystemEvents'],
  ['GET', '/info', 'SystemInfo'],
  ['GET', '/version', 'SystemVersion'],
  ['GET', '/system/df', 'SystemDataUsage'],
  ['POST', '/auth', 'SystemAuth'],
  // volume router
  ['GET', '/volumes', 'VolumeList'],
  ['GET', '/volumes/{name:.*}', 'VolumeInspect'],
  ['POST', '/volumes/create', 'VolumeCreate'],
  ['POST', '/volumes/prune', 'VolumePrune'],
  ['PUT', '/volumes/{name:.*}', 'VolumeUpdate'],
  ['DELETE', '/volumes/{name:.*}', 'VolumeDelete'],
  // build router
  ['POST', '/build', 'ImageBuild'],
  ['POST', '/build/prune', 'BuildPrune'],
  ['POST', '/build/cancel', 'BuildCancel'],
  // session router
  ['POST', '/session', 'Session'],
  // swarm router
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
  // plugin router
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
  // distribution router
  ['GET', '/distribution/{name:.*}/json', 'DistributionInspect'],
  // network router
  ['GET', '/networks', 'NetworkList'],
  ['GET', '/networks/{id:.+}', 'NetworkInspect'],
  ['POST', '/networks/create', 'NetworkCreate'],
  ['POST', '/networks/{id:.*}/connect', 'NetworkConnect'],
  ['POST', '/networks/{id:.*}/disconnect', 'NetworkDisconnect'],
  ['POST', '/networks/prune', 'NetworkPrune'],
  ['DELETE', '/networks/{id:.*}', 'NetworkDelete'],
  // grpc router
  ['POST', '/grpc', 'GRPC'],
];

interface CompiledRoute {
  readonly op: Operation;
  readonly re: RegExp;
  readonly names: readonly string[];
}

const PARAM = /^\{([A-Za-z]+)(?::(\.\*|\.\+))?\}$/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileRoute(method: HttpMethod, template: string, opId: string): CompiledRoute {
  const op = OPERATIONS_BY_ID.get(opId);
  if (op === undefined || op.method !== method) throw new Error(`route table: no ${method} operation ${opId}`);
  const names: string[] = [];
  const specSegments: string[] = [];
  let source = '^';
  for (const segment of template.slice(1).split('/')) {
    const m = PARAM.exec(segment);
    if (m === null) {
      source += '/' + escapeRegExp(segment);
      specSegments.push(segment);
      continue;
    }
    const name = m[1] as string;
    names.push(name);
    specSegments.push(`{${name}}`);
    // `.*` becomes `.+`: an empty parameter needs an empty segment or a trailing slash, both
    // refused before matching, so the two agree on every path that gets here.
    source += m[2] === undefined ? '/([^/]+)' : '/(.+)';
  }
  if ('/' + specSegments.join('/') !== op.path) {
    throw new Error(`route table: ${template} does not match the catalogue's ${op.path} for ${opId}`);
  }
  // 's': without it JS's `.` stops at \r and U+2028/9, where Go's does not. Go's stops at '\n',
  // JS's then does not, but control characters never get this far.
  return { op, re: new RegExp(source + '$', 's'), names };
}

function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end === -1 ? path.slice(1) : path.slice(1, end);
}

/**
 * Routes by method, then first path segment, keeping registration order inside a group.
 * Every dockerd route starts with a literal segment, so routes of other groups can never match
 * and skipping them does not change which route wins.
 */
function buildIndex(): ReadonlyMap<string, ReadonlyMap<string, readonly CompiledRoute[]>> {
  const index = new Map<string, Map<string, CompiledRoute[]>>();
  const routed = new Set<string>();
  for (const [method, template, opId] of DOCKERD_ROUTES) {
    if (routed.has(opId)) throw new Error(`route table: ${opId} routed twice`);
    routed.add(opId);
    let byFirst = index.get(method);
    if (byFirst === undefined) {
      byFirst = new Map();
      index.set(method, byFirst);
    }
    const first = firstSegment(template);
    let bucket = byFirst.get(first);
    if (bucket === undefined) {
      bucket = [];
      byFirst.set(first, bucket);
    }
    bucket.push(compileRoute(method, template, opId));
  }
  const unrouted = OPERATIONS.filter((o) => !routed.has(o.id)).map((o) => o.id);
  if (unrouted.length > 0) throw new Error(`route table: no route for ${unrouted.join(', ')}`);
  return index;
}

const INDEX = buildIndex();

const DEFAULT_MIN_VERSION = '1.24';
/** dockerd's versionMatcher is `/v{version:[0-9.]+}` */
const VERSION_SEGMENT = /^v[0-9.]+$/;

let minVersionText = DEFAULT_MIN_VERSION;
let minVersionParts: readonly number[] = parseApiVersion(DEFAULT_MIN_VERSION) as readonly number[];

function minVersion(text: string): readonly number[] {
  if (text !== minVersionText) {
    const parts = parseApiVersion(text);
    if (parts === null) throw new Error(`invalid minimum API version "${text}"`);
    minVersionText = text;
    minVersionParts = parts;
  }
  return minVersionParts;
}

function refuse(code: ErrorCode, reason: string): RouteResult {
  return Object.freeze({ ok: false, code, reason });
}

function resolve(method: string, target: string, minText: string): RouteResult {
  if (target.charCodeAt(0) !== 0x2f) return refuse('PC_BAD_TARGET', 'request target is not in origin form');
  if (target.includes('#')) return refuse('PC_BAD_TARGET', 'request target has a fragment');

  const qmark = target.indexOf('?');
  const decoded = decodePath(qmark === -1 ? target : target.slice(0, qmark));
  if (!decoded.ok) return refuse('PC_BAD_PATH', decoded.reason);
  let path = decoded.path;

  let version: string | null = null;
  const first = firstSegment(path);
  if (VERSION_SEGMENT.test(first)) {
    const parts = parseApiVersion(first.slice(1));
    if (parts === null) return refuse('PC_API_VERSION', `malformed API version "${first.slice(1)}"`);
    if (compareApiVersions(parts, minVersion(minText)) < 0) {
      return refuse('PC_API_VERSION', `API version ${first.slice(1)} is below the minimum ${minText}`);
    }
    version = canonicalApiVersion(parts);
    path = path.slice(first.length + 1);
  }

  const bucket = path === '' ? undefined : INDEX.get(method)?.get(firstSegment(path));
  let found: CompiledRoute | undefined;
  let m: RegExpExecArray | null = null;
  if (bucket !== undefined) {
    for (const candidate of bucket) {
      m = candidate.re.exec(path);
      if (m !== null) {
        found = candidate;
        break;
      }
    }
  }
  if (found === undefined || m === null) return refuse('PC_UNKNOWN_ENDPOINT', `unknown endpoint ${method} ${decoded.path}`);

  const parsed = parseQuery(qmark === -1 ? '' : target.slice(qmark + 1));
  if (!parsed.ok) return refuse('PC_BAD_QUERY', parsed.reason);

  const params: Record<string, string> = {};
  for (let i = 0; i < found.names.length; i++) params[found.names[i] as string] = m[i + 1] as string;

  const forwarded =
    (version === null ? '' : '/v' + version) + encodePath(path) + (parsed.encoded === '' ? '' : '?' + parsed.encoded);
  const match: RouteMatch = {
    op: found.op,
    params: Object.freeze(params),
    version,
    path,
    query: parsed.query,
    target: forwarded,
  };
  return Object.freeze({ ok: true, match: Object.freeze(match) });
}

const CACHE_MAX_ENTRIES = 1024;
/** Longer targets are routed but not cached, so the cache stays small whatever clients send. */
const CACHE_MAX_TARGET = 1024;
/** method -> target -> result; only ever holds results for `cacheMinVersion` */
const cache = new Map<string, Map<string, RouteResult>>();
let cacheEntries = 0;
let cacheMinVersion = DEFAULT_MIN_VERSION;
/**
 * Targets seen once. Only a target seen before is cached: targets that never repeat (fresh ids,
 * `since=` timestamps) would otherwise keep the cache full of results that live just long enough
 * to be promoted by the GC, which costs more than routing them again.
 */
const seen = new Set<string>();

function remember(method: string, target: string, result: RouteResult): void {
  if (!seen.has(target)) {
    if (seen.size >= CACHE_MAX_ENTRIES) seen.clear();
    seen.add(target);
    return;
  }
  if (cacheEntries >= CACHE_MAX_ENTRIES) {
    cache.clear();
    cacheEntries = 0;
  }
  let byTarget = cache.get(method);
  if (byTarget === undefined) {
    byTarget = new Map();
    cache.set(method, byTarget);
  }
  byTarget.set(target, result);
  cacheEntries++;
}

/**
 * Resolves a request to the operation dockerd would run, or refuses it. Never throws for any
 * method or target; throws only if `opts.minVersion` is not a version.
 *
 * Results may be shared between calls (they are cached): treat them as read-only, including
 * `match.query`.
 */
export function route(method: string, target: string, opts?: RouteOptions): RouteResult {
  const minText = opts?.minVersion ?? DEFAULT_MIN_VERSION;
  minVersion(minText);
  if (minText !== cacheMinVersion) {
    cache.clear();
    cacheEntries = 0;
    cacheMinVersion = minText;
  }
  const hit = cache.get(method)?.get(target);
  if (hit !== undefined) return hit;
  const result = resolve(method, target, minText);
  if (target.length <= CACHE_MAX_TARGET) remember(method, target, result);
  return result;
}

/**
 * The target of `m` with some path parameters (and, optionally, the query) replaced, or null
 * when the result would not route back to the same operation with exactly those parameters (so a
 * replacement can never change what is called).
 */
export function retarget(m: RouteMatch, replace: Readonly<Record<string, string>>, query?: ReadonlyMap<string, readonly string[]>): string | null {
  const params = { ...m.params, ...replace };
  const path = m.op.path.replace(/\{([^}]+)\}/g, (_, name: string) => params[name] ?? '');
  const q = m.target.indexOf('?');
  const encodedQuery = query === undefined ? (q === -1 ? '' : m.target.slice(q + 1)) : encodeQuery(query);
  const target = (m.version === null ? '' : '/v' + m.version) + encodePath(path) + (encodedQuery === '' ? '' : '?' + encodedQuery);
  const again = route(m.op.method, target, { minVersion: '0' });
  if (!again.ok || again.match.op !== m.op) return null;
  for (const [k, v] of Object.entries(params)) if (again.match.params[k] !== v) return null;
  return target;
}
