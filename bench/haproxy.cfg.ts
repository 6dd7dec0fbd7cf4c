/**
 * HAProxy baseline, configured like Tecnativa's docker-socket-proxy (haproxy.cfg of that project):
 * the same `http-request deny unless METH_GET || POST` gate, the same per-family
 * `http-request allow if { path,url_dec -m reg -i ^(/v[\d\.]+)?(/\w+)?/<family> } { env(X) -m bool }`
 * rules switched by environment variables, the same trailing `http-request deny`, the same
 * `option http-server-close` and the same timeouts (client/server 10m, which do not cut a 500 MB save).
 *
 * Left out, because they only make sense inside their container image: the pidfile in /run,
 * the server-state file, the `errorfile` pages. The bind address is 127.0.0.1:PORT instead of :::2375.
 * Request logging is kept (`log stdout format raw daemon info` + `option httplog`), as in the
 * original; the bench points HAProxy's stdout at a file, like Portcullis's decision log.
 */

/** Tecnativa's defaults (Dockerfile ENV), with the bench's choice: CONTAINERS=1, IMAGES=1, POST=0. */
export const haproxyEnv: Readonly<Record<string, string>> = {
  ALLOW_RESTARTS: '0',
  ALLOW_START: '0',
  ALLOW_STOP: '0',
  AUTH: '0',
  BUILD: '0',
  COMMIT: '0',
  CONFIGS: '0',
  CONTAINERS: '1',
  DISTRIBUTION: '0',
  EVENTS: '1',
  EXEC: '0',
  GRPC: '0',
  IMAGES: '1',
  INFO: '0',
  LOG_LEVEL: 'info',
  NETWORKS: '0',
  NODES: '0',
  PING: '1',
  PLUGINS: '0',
  POST: '0',
  SECRETS: '0',
  SERVICES: '0',
  SESSION: '0',
  SWARM: '0',
  SYSTEM: '0',
  TASKS: '0',
  VERSION: '1',
  VOLUMES: '0',
};

const prefix = String.raw`^(/v[\d\.]+)?(/\w+)?`;

/** [path family, env variable] in Tecnativa's order. */
const families: ReadonlyArray<readonly [string, string]> = [
  ['auth', 'AUTH'],
  ['build', 'BUILD'],
  ['commit', 'COMMIT'],
  ['configs', 'CONFIGS'],
  ['containers', 'CONTAINERS'],
  ['distribution', 'DISTRIBUTION'],
  ['events', 'EVENTS'],
  ['exec', 'EXEC'],
  ['grpc', 'GRPC'],
  ['images', 'IMAGES'],
  ['info', 'INFO'],
  ['networks', 'NETWORKS'],
  ['nodes', 'NODES'],
  ['_ping', 'PING'],
  ['plugins', 'PLUGINS'],
  ['secrets', 'SECRETS'],
  ['services', 'SERVICES'],
  ['session', 'SESSION'],
  ['swarm', 'SWARM'],
  ['system', 'SYSTEM'],
  ['tasks', 'TASKS'],
  ['version', 'VERSION'],
  ['volumes', 'VOLUMES'],
];

export interface HaproxyCfgOptions {
  /** the daemon's unix socket */
  socketPath: string;
  /** TCP port to bind on 127.0.0.1 */
  port: number;
}

export function haproxyCfg({ socketPath, port }: HaproxyCfgOptions): string {
  const allow = (re: string, env: string): string =>
    `    http-request allow if { path,url_dec -m reg -i ${prefix}${re} } { env(${env}) -m bool }`;
  const lines = [
    'global',
    '    log stdout format raw daemon "${LOG_LEVEL}"',
    '    maxconn 4000',
    '',
    'defaults',
    '    mode http',
    '    log global',
    '    option httplog',
    '    option dontlognull',
    '    option http-server-close',
    '    option redispatch',
    '    retries 3',
    '    timeout http-request 10s',
    '    timeout queue 1m',
    '    timeout connect 10s',
    '    timeout client 10m',
    '    timeout server 10m',
    '    timeout http-keep-alive 10s',
    '    timeout check 10s',
    '    maxconn 3000',
    '',
    'backend dockerbackend',
    `    server dockersocket ${socketPath}`,
    '',
    'backend docker-events',
    `    server dockersocket ${socketPath}`,
    '    timeout server 0',
    '',
    'frontend dockerfrontend',
    `    bind 127.0.0.1:${port}`,
    '    http-request deny unless METH_GET || { env(POST) -m bool }',
    allow('/containers/[a-zA-Z0-9_.-]+/((stop)|(restart)|(kill))', 'ALLOW_RESTARTS'),
    allow('/containers/[a-zA-Z0-9_.-]+/start', 'ALLOW_START'),
    allow('/containers/[a-zA-Z0-9_.-]+/stop', 'ALLOW_STOP'),
    ...families.map(([family, env]) => allow(`/${family}`, env)),
    '    http-request deny',
    '    default_backend dockerbackend',
    '',
    `    use_backend docker-events if { path,url_dec -m reg -i ${prefix}/events }`,
    '',
  ];
  return lines.join('\n');
}
