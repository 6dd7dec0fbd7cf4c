/**
 * What a policy's `constraints` say about the bodies (and pre-flight lookups) of the requests its
 * rules allow. Every key is documented in docs/constraints.md; the defaults below are the
 * `hardened` profile. A policy's constraints are these defaults overlaid by every `constraints`
 * block along its `extends` chain (base first): nested objects merge key by key, lists and
 * scalars replace.
 */

export const NAMESPACES = ['pid', 'ipc', 'network', 'uts', 'userns', 'cgroupns'] as const;
export type NamespaceName = (typeof NAMESPACES)[number];

/** An upper bound on a numeric field; `max: null` is no bound. */
export interface Bound {
  /** largest value allowed, in the field's unit (bytes for memory sizes) */
  readonly max: number | null;
  /** refuse the request when the field is unset or unlimited (0 / -1) */
  readonly required: boolean;
}

export interface Constraints {
  /** allow HostConfig.Privileged */
  readonly privileged: boolean;
  /** capabilities HostConfig.CapAdd may name (upper case, without `CAP_`); `ALL` is never allowed */
  readonly capAdd: readonly string[];
  /** host device paths HostConfig.Devices may map (PathOnHost) */
  readonly devices: readonly string[];
  /** HostConfig.DeviceCgroupRules allowed verbatim */
  readonly deviceCgroupRules: readonly string[];
  /** DeviceRequests drivers (or capabilities, for a request without a driver) allowed, e.g. `nvidia`, `gpu`, `cdi` */
  readonly deviceRequests: readonly string[];
  /** namespaces that may be shared with the host (`host` mode) */
  readonly hostNamespaces: readonly NamespaceName[];
  /** allow joining another container's namespaces (`container:<id>`) when that container passes the same checks */
  readonly containerNamespaces: boolean;
  /** allow HostConfig.Cgroup and HostConfig.CgroupParent */
  readonly cgroupParent: boolean;
  /** extra SecurityOpt items allowed verbatim (an item ending in `*` is a prefix) */
  readonly securityOpt: readonly string[];
  /** allow HostConfig.MaskedPaths / ReadonlyPaths (and SecurityOpt systempaths=unconfined) */
  readonly maskedPaths: boolean;
  /** OCI runtimes HostConfig.Runtime may name (empty = the daemon's default is always allowed) */
  readonly runtimes: readonly string[];
  /** sysctl keys allowed in HostConfig.Sysctls (an item ending in `*` is a prefix) */
  readonly sysctls: readonly string[];
  /** allow HostConfig.VolumesFrom of containers that themselves pass the mount checks */
  readonly volumesFrom: boolean;
  /** volume drivers allowed (HostConfig.VolumeDriver, mount DriverConfig, VolumeCreate Driver); empty = local */
  readonly volumeDrivers: readonly string[];
  /** allow HostConfig.OomKillDisable */
  readonly oomKillDisable: boolean;
  /** HostConfig.Memory, bytes */
  readonly memory: Bound;
  /** HostConfig.PidsLimit */
  readonly pidsLimit: Bound;
  /** HostConfig.ShmSize, bytes */
  readonly shmSize: Bound;
  readonly portBindings: {
    /** host addresses ports may be published on, compared as Go parses them; an unspecified one (`0.0.0.0`, `::`) allows every interface: an empty or unparsable HostIp, PublishAllPorts */
    readonly hostIps: readonly string[];
    /** host port ranges (`8080`, `8000-8999`); an empty or `0` HostPort (a random port) is always allowed */
    readonly hostPorts: readonly string[];
  };
  /** log drivers HostConfig.LogConfig.Type may name (empty = the daemon's default is always allowed) */
  readonly logDrivers: readonly string[];
  readonly bindMounts: {
    /** host path prefixes bind mounts may come from (whole path segments); empty = no bind mounts */
    readonly allow: readonly string[];
    /** bind mounts must be read-only */
    readonly readOnly: boolean;
  };
  /** options of the `local` volume driver (VolumeCreate DriverOpts, mount DriverConfig.Options) */
  readonly volumeOptions: {
    /** filesystem types `type=` may name */
    readonly types: readonly string[];
    /** allow `o=bind` / `rbind` (a bind mount of any host path disguised as a volume) */
    readonly bind: boolean;
  };
  readonly tmpfs: {
    readonly allow: boolean;
    /** bytes; null = no bound */
    readonly maxSize: number | null;
    /** refuse a tmpfs without an explicit size (its default is half the host's memory) */
    readonly requireSize: boolean;
  };
  readonly exec: {
    /** allow ContainerExec with Privileged */
    readonly privileged: boolean;
    /** users an exec may run as; `*` = any */
    readonly users: readonly string[];
    /** refuse exec into (create or start in) a container that would be refused at create (looked up) */
    readonly checkContainer: boolean;
  };
  readonly networks: {
    /** NetworkCreate drivers (empty = bridge) */
    readonly drivers: readonly string[];
    /** NetworkCreate Options keys allowed */
    readonly options: readonly string[];
    /** allow ConfigFrom (a config-only network carries options not visible here) */
    readonly configFrom: boolean;
    /**
     * keys an endpoint's DriverOpts may set (ContainerCreate EndpointsConfig, NetworkConnect EndpointConfig);
     * `com.docker.network.endpoint.sysctls` is judged item by item against `sysctls` instead
     */
    readonly endpointOptions: readonly string[];
  };
  /** ImageBuild query parameters */
  readonly build: {
    /** `networkmode` values allowed (empty = default) */
    readonly networkModes: readonly string[];
    /** allow `remote` (the daemon fetches the context from a URL or git repository) */
    readonly remote: boolean;
    readonly cgroupParent: boolean;
    readonly extraHosts: boolean;
    readonly ulimits: boolean;
    /** BuildKit entitlements (`network.host`, `security.insecure`) allowed in `allow`/`entitlements` */
    readonly entitlements: readonly string[];
  };
  /** allow HostConfig.Annotations (OCI annotations some runtimes act on) */
  readonly annotations: boolean;
  /** allow HostConfig fields at the top level of a ContainerCreate body (the pre-1.24 shape) */
  readonly legacyHostConfig: boolean;
  /** look up the container on ContainerStart/Restart/Unpause and refuse it when its stored config would be refused at create */
  readonly startChecks: boolean;
  /** the same lookup on copying into or out of a container (archive GET/HEAD/PUT) and attaching to it */
  readonly accessChecks: boolean;
  readonly images: {
    /** allow ImageCreate `fromSrc` with a URL (the daemon fetches it); `-` (the body) is always allowed */
    readonly importUrl: boolean;
  };
}

type DeepPartial<T> = { -readonly [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object | null ? (T[K] extends null ? T[K] : DeepPartial<T[K]>) : T[K] };

/** A policy's `constraints` block: any subset, nested objects partially. */
export type ConstraintOverrides = DeepPartial<Constraints>;

export const GiB = 1024 * 1024 * 1024;

export const HARDENED_CONSTRAINTS: Constraints = Object.freeze({
  privileged: false,
  capAdd: [],
  devices: [],
  deviceCgroupRules: [],
  deviceRequests: [],
  hostNamespaces: [],
  containerNamespaces: true,
  cgroupParent: false,
  securityOpt: [],
  maskedPaths: false,
  runtimes: ['runc', 'io.containerd.runc.v2'],
  sysctls: [],
  volumesFrom: true,
  volumeDrivers: ['local'],
  oomKillDisable: false,
  memory: { max: null, required: false },
  pidsLimit: { max: null, required: false },
  shmSize: { max: null, required: false },
  portBindings: { hostIps: ['127.0.0.1', '::1'], hostPorts: ['0-65535'] },
  logDrivers: ['json-file', 'local', 'none'],
  bindMounts: { allow: [], readOnly: true },
  volumeOptions: { types: ['tmpfs'], bind: false },
  tmpfs: { allow: true, maxSize: GiB, requireSize: false },
  exec: { privileged: false, users: ['*'], checkContainer: true },
  networks: {
    drivers: ['bridge'],
    options: [
      'com.docker.network.driver.mtu',
      'com.docker.network.bridge.enable_icc',
      'com.docker.network.bridge.enable_ip_masquerade',
      'com.docker.network.bridge.inhibit_ipv4',
      'com.docker.network.container_iface_prefix',
    ],
    configFrom: false,
    endpointOptions: [],
  },
  build: { networkModes: ['default', 'bridge', 'none'], remote: false, cgroupParent: false, extraHosts: false, ulimits: false, entitlements: [] },
  annotations: false,
  legacyHostConfig: false,
  startChecks: true,
  accessChecks: true,
  images: { importUrl: false },
});

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function overlay(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlain(value) && isPlain(current) ? overlay(current, value) : value;
  }
  return out;
}

/** `base` overlaid by each override in turn (later ones win): nested objects key by key, lists and scalars replaced. */
export function mergeConstraints(base: Constraints, ...overrides: readonly ConstraintOverrides[]): Constraints {
  let out = base as unknown as Record<string, unknown>;
  for (const o of overrides) out = overlay(out, o as Record<string, unknown>);
  return out as unknown as Constraints;
}
