/**
 * The catalogue of every error Portcullis answers with. Codes are stable: they appear in
 * denial messages, the decision log and the docs, so users can grep and alert on them.
 */
export interface ErrorDef {
  readonly code: string;
  readonly status: number;
  readonly summary: string;
}

function def(code: string, status: number, summary: string): ErrorDef {
  return { code, status, summary };
}

export const Errors = {
  PC_DENIED_DEFAULT: def('PC_DENIED_DEFAULT', 403, 'no rule of the policy allows this operation'),
  PC_DENIED_RULE: def('PC_DENIED_RULE', 403, 'a deny rule of the policy matched'),
  // Body and pre-flight checks of allowed requests (policy constraints, docs/constraints.md).
  PC_DENIED_MALFORMED_BODY: def('PC_DENIED_MALFORMED_BODY', 403, 'a field the constraints check has a type dockerd would not accept'),
  PC_DENIED_PRIVILEGED: def('PC_DENIED_PRIVILEGED', 403, 'a privileged container'),
  PC_DENIED_CAP_ADD: def('PC_DENIED_CAP_ADD', 403, 'a capability outside the allowed list'),
  PC_DENIED_DEVICE: def('PC_DENIED_DEVICE', 403, 'a host device, device cgroup rule or device request outside the allowed lists'),
  PC_DENIED_NAMESPACE: def('PC_DENIED_NAMESPACE', 403, 'sharing a namespace with the host, or with a container that would itself be refused'),
  PC_DENIED_CGROUP: def('PC_DENIED_CGROUP', 403, 'a cgroup or cgroup parent chosen by the client'),
  PC_DENIED_SECURITY_OPT: def('PC_DENIED_SECURITY_OPT', 403, 'a security option that weakens seccomp, AppArmor or SELinux confinement'),
  PC_DENIED_MASKED_PATHS: def('PC_DENIED_MASKED_PATHS', 403, 'masked or read-only /proc and /sys paths chosen by the client'),
  PC_DENIED_RUNTIME: def('PC_DENIED_RUNTIME', 403, 'an OCI runtime (or plugin) outside the allowed list'),
  PC_DENIED_SYSCTL: def('PC_DENIED_SYSCTL', 403, 'a sysctl outside the allowed list'),
  PC_DENIED_VOLUMES_FROM: def('PC_DENIED_VOLUMES_FROM', 403, 'volumes from a container whose mounts would be refused'),
  PC_DENIED_VOLUME_DRIVER: def('PC_DENIED_VOLUME_DRIVER', 403, 'a volume driver outside the allowed list'),
  PC_DENIED_OOM_KILL_DISABLE: def('PC_DENIED_OOM_KILL_DISABLE', 403, 'the OOM killer disabled for a container'),
  PC_DENIED_RESOURCE_LIMIT: def('PC_DENIED_RESOURCE_LIMIT', 403, 'a memory, pids or shm size above the configured bound'),
  PC_DENIED_PORT_BINDING: def('PC_DENIED_PORT_BINDING', 403, 'a port published on a host address or port outside the allowed ones'),
  PC_DENIED_LOG_DRIVER: def('PC_DENIED_LOG_DRIVER', 403, 'a log driver outside the allowed list'),
  PC_DENIED_BIND_MOUNT: def('PC_DENIED_BIND_MOUNT', 403, 'a bind mount of a host path outside the allowed prefixes, or writable when it must be read-only'),
  PC_DENIED_VOLUME_OPTIONS: def('PC_DENIED_VOLUME_OPTIONS', 403, 'local volume driver options that mount a host path or an unlisted filesystem'),
  PC_DENIED_TMPFS: def('PC_DENIED_TMPFS', 403, 'a tmpfs mount that is not allowed or exceeds the size bound'),
  PC_DENIED_MOUNT_TYPE: def('PC_DENIED_MOUNT_TYPE', 403, 'a mount type that is never allowed (npipe, cluster, unknown)'),
  PC_DENIED_ANNOTATIONS: def('PC_DENIED_ANNOTATIONS', 403, 'OCI annotations, which some runtimes act on'),
  PC_DENIED_EXEC_PRIVILEGED: def('PC_DENIED_EXEC_PRIVILEGED', 403, 'a privileged exec'),
  PC_DENIED_EXEC_USER: def('PC_DENIED_EXEC_USER', 403, 'an exec user outside the allowed list'),
  PC_DENIED_EXEC_UNSAFE: def('PC_DENIED_EXEC_UNSAFE', 403, 'an exec created or started in a container that would be refused at create'),
  PC_DENIED_NETWORK_DRIVER: def('PC_DENIED_NETWORK_DRIVER', 403, 'a network driver, option or config source outside the allowed ones'),
  PC_DENIED_BUILD_OPTION: def('PC_DENIED_BUILD_OPTION', 403, 'a build parameter that reaches outside the build sandbox'),
  PC_DENIED_LEGACY_HOSTCONFIG: def('PC_DENIED_LEGACY_HOSTCONFIG', 403, 'a HostConfig field at the top level of a create body (legacy shape)'),
  PC_DENIED_START_UNSAFE: def('PC_DENIED_START_UNSAFE', 403, 'starting an existing container that would be refused at create'),
  PC_DENIED_CONTAINER_UNSAFE: def('PC_DENIED_CONTAINER_UNSAFE', 403, 'copying into or out of, or attaching to, an existing container that would be refused at create'),
  PC_DENIED_IMAGE_IMPORT: def('PC_DENIED_IMAGE_IMPORT', 403, 'an image import from a URL the daemon would fetch itself'),
  // Multi-tenancy (docs/tenancy.md): ownership by label, visibility, quotas.
  PC_HIDDEN: def('PC_HIDDEN', 404, 'the object does not exist or belongs to another client (answered in dockerd\'s own words)'),
  PC_QUOTA_CONTAINERS: def('PC_QUOTA_CONTAINERS', 403, 'the client already owns as many containers as tenancy.quotas.containers allows'),
  PC_SHARED_READ_ONLY: def('PC_SHARED_READ_ONLY', 403, 'a change to an object the policy shares with the client, which may read and use it but not change it'),
  PC_TENANCY_FILTERS: def('PC_TENANCY_FILTERS', 403, 'a filters query parameter that is not the JSON dockerd reads, so the owner filter cannot be merged into it'),
  // Visibility by name patterns and label selectors (docs/visibility.md); hidden objects answer PC_HIDDEN.
  PC_VISIBILITY_OUTSIDE: def('PC_VISIBILITY_OUTSIDE', 403, 'a create or rename whose result the client could not see: its name matches no pattern and its labels no selector'),
  PC_VISIBILITY_UNSUPPORTED: def('PC_VISIBILITY_UNSUPPORTED', 403, 'a prune that would remove objects the client cannot see, and cannot be confined to the visible ones'),
  // Image allowlists (docs/images.md): which image references a policy's clients may use.
  PC_IMAGE_NOT_ALLOWED: def('PC_IMAGE_NOT_ALLOWED', 403, 'an image reference (to run, pull, tag as or push) that is not in the policy\'s images.allow list'),
  PC_IMAGE_HIDDEN: def('PC_IMAGE_HIDDEN', 404, 'an image with no name in the allowlist, or no such image (answered in dockerd\'s own words)'),
  PC_IMAGE_BAD_REFERENCE: def('PC_IMAGE_BAD_REFERENCE', 403, 'an image reference, tag or repository that cannot be read the way dockerd reads it'),
  PC_IMAGE_UNSUPPORTED: def('PC_IMAGE_UNSUPPORTED', 403, 'an operation the image allowlist cannot confine (build, load, import, commit, prune, raw BuildKit)'),
  // Identification (docs/identities.md): who is asking decides the policy.
  PC_UNKNOWN_TOKEN: def('PC_UNKNOWN_TOKEN', 401, 'an Authorization header that is not "Bearer <token>" with the token of a configured client'),
  PC_UNKNOWN_CLIENT: def('PC_UNKNOWN_CLIENT', 403, 'no configured client matches the connection and there is no default client'),
  PC_UNKNOWN_ENDPOINT: def('PC_UNKNOWN_ENDPOINT', 403, 'the path and method match no Engine API operation'),
  PC_BAD_PATH: def('PC_BAD_PATH', 403, 'the path is not canonical (dot segments, empty segments, bad percent-encoding)'),
  PC_BAD_QUERY: def('PC_BAD_QUERY', 403, 'the query string cannot be read the way dockerd reads it'),
  PC_API_VERSION: def('PC_API_VERSION', 403, 'the API version prefix is malformed or below the configured floor'),
  PC_BAD_TARGET: def('PC_BAD_TARGET', 403, 'the request target is not in origin form'),
  PC_UPGRADE_REFUSED: def('PC_UPGRADE_REFUSED', 403, 'a protocol upgrade was asked for on an operation that does not hijack'),
  PC_FORM_BODY: def('PC_FORM_BODY', 403, 'a form-encoded or multipart body, which dockerd would merge into the query parameters'),
  PC_BODY_TOO_LARGE: def('PC_BODY_TOO_LARGE', 413, 'a body that must be inspected is larger than limits.maxBodyBytes'),
  PC_BAD_JSON: def('PC_BAD_JSON', 403, 'a body that must be inspected is not JSON dockerd would read unambiguously (duplicate or case-folded keys, trailing data)'),
  PC_INSPECT_FAILED: def('PC_INSPECT_FAILED', 403, 'a check could not be completed (for example the daemon look-up it needs failed)'),
  PC_BAD_FRAMING: def('PC_BAD_FRAMING', 400, 'the HTTP message framing is malformed or ambiguous'),
  PC_HEADERS_TOO_LARGE: def('PC_HEADERS_TOO_LARGE', 431, 'the request head exceeds the size limit'),
  PC_UPSTREAM_UNAVAILABLE: def('PC_UPSTREAM_UNAVAILABLE', 502, 'the Docker daemon could not be reached'),
  // API 1.42-1.45 fields (docs/constraints.md).
  PC_DENIED_MOUNT_SUBPATH: def('PC_DENIED_MOUNT_SUBPATH', 403, 'a volume or image mount Subpath that is absolute or climbs out with ".."'),
  // Authorization-plugin mode (docs/plugin.md): dockerd asks, Portcullis answers allow or deny.
  PC_PLUGIN_BODY_UNSEEN: def('PC_PLUGIN_BODY_UNSEEN', 403, 'a body the policy must inspect that dockerd did not hand to the authorization plugin whole (chunked on an unpatched dockerd, 1 MiB or more, not application/json, or truncated)'),
  PC_PLUGIN_UNSUPPORTED: def('PC_PLUGIN_UNSUPPORTED', 403, 'a decision that needs the request or the answer rewritten, which an authorization plugin cannot do'),
  PC_TENANCY_REFERENCE: def('PC_TENANCY_REFERENCE', 403, 'tenancy: a body field dockerd reads as a reference to another object that cannot be pinned within the client\'s own (docs/tenancy.md)'),
  PC_TENANCY_IDENTITY: def('PC_TENANCY_IDENTITY', 403, 'tenancy: a DNS alias, MAC or static IP address on a network shared between clients, where it could pose as another client\'s container'),
  // Images owned by tenants (docs/tenancy.md, "Images belong to tenants").
  PC_TENANCY_IMAGE_NAME: def('PC_TENANCY_IMAGE_NAME', 403, 'a new image name a tenant cannot have: a reserved tag (beginning with "__"), a digest, or a tag too long for the tenant\'s tag space'),
  PC_TENANCY_IMAGES_UNSUPPORTED: def('PC_TENANCY_IMAGES_UNSUPPORTED', 403, 'an image operation that cannot be confined to the tenant\'s own images (load, prune, push of its own image, pull, push or save of every tag)'),
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof Errors;
