import { isJsonObject, type JsonObject, type JsonValue } from '../inspect/json-value.js';

/**
 * A client's name space on the daemon. With `names: prefix` every container, volume and network
 * name a client gives is stored as `<client>.<name>`, so two clients can run the same compose
 * project at once; the prefix is added to what the client sends and taken off what it gets back.
 * Client names of such policies hold no "." (checked when the config is loaded), so the prefixes of
 * two clients never overlap: the part before the first "." of a daemon name says whose it is.
 */
export class Names {
  /** `<client>.`, or null when names are one name space for every client */
  readonly prefix: string | null;

  constructor(client: string, mode: 'prefix' | 'shared') {
    this.prefix = mode === 'prefix' ? `${client}.` : null;
  }

  /** The daemon's name for a name the client gives. */
  toDaemon(name: string): string {
    return this.prefix === null ? name : this.prefix + name;
  }

  /** The client's name for a daemon name: its own prefix is taken off, anything else is left. */
  toClient(raw: string): string {
    return this.prefix !== null && raw.startsWith(this.prefix) ? raw.slice(this.prefix.length) : raw;
  }

  /** True when the daemon name lies in the client's name space. */
  inSpace(raw: string): boolean {
    return this.prefix !== null && raw.startsWith(this.prefix) && raw.length > this.prefix.length;
  }

  /** A container name as dockerd lists it: `/web`, or `/app/db` for a legacy link alias. */
  pathToClient(path: string): string {
    return path
      .split('/')
      .map((part) => this.toClient(part))
      .join('/');
  }
}

/**
 * dockerd's rule for container and volume names (`RestrictedNamePattern`). Checked before the
 * prefix is added, since `x` is invalid but `alice.x` is not.
 */
export const RESTRICTED_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function field(o: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** A copy of `o` with `key` mapped by `f` when it is present. */
function mapField(o: JsonObject, key: string, f: (v: JsonValue) => JsonValue): JsonObject {
  const v = field(o, key);
  return v === undefined ? o : { ...o, [key]: f(v) };
}

function mapString(f: (s: string) => string): (v: JsonValue) => JsonValue {
  return (v) => (typeof v === 'string' ? f(v) : v);
}

function mapArray(f: (v: JsonValue) => JsonValue): (v: JsonValue) => JsonValue {
  return (v) => (Array.isArray(v) ? v.map(f) : v);
}

function mapObject(f: (o: JsonObject) => JsonObject): (v: JsonValue) => JsonValue {
  return (v) => (isJsonObject(v) ? f(v) : v);
}

/** An object keyed by network name (`NetworkSettings.Networks`), re-keyed to the client's names. */
function rekey(n: Names): (v: JsonValue) => JsonValue {
  return mapObject((o) => {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(o)) Object.defineProperty(out, n.toClient(k), { value: v, writable: true, enumerable: true, configurable: true });
    return out;
  });
}

/** `NetworkMode`: a network name (or `container:<id>`, `bridge`, …, which carry no prefix). */
const networkMode = (n: Names) => mapString((s) => n.toClient(s));

/** `vol:/dst[:opts]`: only a volume name (not a host path) carries a prefix. */
function bind(n: Names): (v: JsonValue) => JsonValue {
  return mapString((s) => {
    const colon = s.indexOf(':');
    if (colon <= 0 || s.startsWith('/')) return s;
    return n.toClient(s.slice(0, colon)) + s.slice(colon);
  });
}

/** `/db:/web/db` (legacy links as inspect shows them). */
function link(n: Names): (v: JsonValue) => JsonValue {
  return mapString((s) =>
    s
      .split(':')
      .map((p) => n.pathToClient(p))
      .join(':'),
  );
}

function mountPoint(n: Names): (v: JsonValue) => JsonValue {
  return mapObject((m) => (field(m, 'Type') === 'volume' ? mapField(m, 'Name', mapString((s) => n.toClient(s))) : m));
}

function hostConfig(n: Names): (v: JsonValue) => JsonValue {
  return mapObject((hc) => {
    let out = mapField(hc, 'NetworkMode', networkMode(n));
    out = mapField(out, 'Binds', mapArray(bind(n)));
    out = mapField(out, 'Links', mapArray(link(n)));
    return mapField(
      out,
      'Mounts',
      mapArray(mapObject((m) => (field(m, 'Type') === 'volume' ? mapField(m, 'Source', mapString((s) => n.toClient(s))) : m))),
    );
  });
}

const networkSettings = (n: Names) => mapObject((ns) => mapField(ns, 'Networks', rekey(n)));

/** One entry of `GET /containers/json` (and of system df's `Containers`). */
export function presentContainerSummary(c: JsonValue, n: Names): JsonValue {
  if (!isJsonObject(c) || n.prefix === null) return c;
  let out = mapField(c, 'Names', mapArray(mapString((s) => n.pathToClient(s))));
  out = mapField(out, 'HostConfig', hostConfig(n));
  out = mapField(out, 'NetworkSettings', networkSettings(n));
  return mapField(out, 'Mounts', mapArray(mountPoint(n)));
}

/** `GET /containers/{id}/json`. */
export function presentContainer(c: JsonValue, n: Names): JsonValue {
  if (!isJsonObject(c) || n.prefix === null) return c;
  let out = mapField(c, 'Name', mapString((s) => n.pathToClient(s)));
  out = mapField(out, 'HostConfig', hostConfig(n));
  out = mapField(out, 'NetworkSettings', networkSettings(n));
  return mapField(out, 'Mounts', mapArray(mountPoint(n)));
}

/** A network (list entry or inspect), with the names of the containers attached to it. */
export function presentNetwork(net: JsonValue, n: Names): JsonValue {
  if (!isJsonObject(net) || n.prefix === null) return net;
  const out = mapField(net, 'Name', mapString((s) => n.toClient(s)));
  return mapField(out, 'Containers', mapObject((cs) => Object.fromEntries(Object.entries(cs).map(([id, c]) => [id, mapObject((e) => mapField(e, 'Name', mapString((s) => n.toClient(s))))(c)]))));
}

/** A volume (list entry, inspect, create answer). */
export function presentVolume(v: JsonValue, n: Names): JsonValue {
  if (!isJsonObject(v) || n.prefix === null) return v;
  return mapField(v, 'Name', mapString((s) => n.toClient(s)));
}
