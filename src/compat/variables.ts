/**
 * The environment variables of Tecnativa's docker-socket-proxy, linuxserver's socket-proxy and
 * docker-proxy-filter, as Portcullis reads them (docs/compat.md). Each image documents its
 * variables as 0/1 switches; anything else is refused at start rather than guessed at, because
 * the originals disagree on it (HAProxy casts "true" to 0, nginx compares with "0" and so reads
 * it as on).
 */

export type Flavour = 'tecnativa' | 'linuxserver';

/** Section variables in Tecnativa's order, with the first path segment each one opens. */
export const SECTIONS: ReadonlyArray<readonly [variable: string, segment: string]> = [
  ['AUTH', 'auth'],
  ['BUILD', 'build'],
  ['COMMIT', 'commit'],
  ['CONFIGS', 'configs'],
  ['CONTAINERS', 'containers'],
  ['DISTRIBUTION', 'distribution'],
  ['EVENTS', 'events'],
  ['EXEC', 'exec'],
  ['GRPC', 'grpc'],
  ['IMAGES', 'images'],
  ['INFO', 'info'],
  ['NETWORKS', 'networks'],
  ['NODES', 'nodes'],
  ['PING', '_ping'],
  ['PLUGINS', 'plugins'],
  ['SECRETS', 'secrets'],
  ['SERVICES', 'services'],
  ['SESSION', 'session'],
  ['SWARM', 'swarm'],
  ['SYSTEM', 'system'],
  ['TASKS', 'tasks'],
  ['VERSION', 'version'],
  ['VOLUMES', 'volumes'],
];

/** Lifecycle switches: Tecnativa's three, linuxserver's pause/unpause. */
export const LIFECYCLE = ['ALLOW_START', 'ALLOW_STOP', 'ALLOW_RESTARTS', 'ALLOW_PAUSE', 'ALLOW_UNPAUSE'] as const;

/** Read guards inside CONTAINERS, with their defaults: archive and export are off unless asked for. */
export const READ_GUARDS: Readonly<Record<string, boolean>> = {
  ALLOW_ARCHIVE: false,
  ALLOW_EXPORT: false,
  ALLOW_LOGS: true,
  ALLOW_TOP: true,
  ALLOW_CHANGES: true,
};

/** Tecnativa's image defaults (its Dockerfile ENV), which linuxserver copies. */
const DEFAULT_ON = new Set(['EVENTS', 'PING', 'VERSION']);

const SWITCHES: readonly string[] = [...SECTIONS.map(([v]) => v), 'POST', ...LIFECYCLE, ...Object.keys(READ_GUARDS), 'DISABLE_IPV6', 'PORTCULLIS_HARDEN'];

/** Variables whose presence means "configure me from the environment". */
export const TRIGGERS: readonly string[] = [
  ...SECTIONS.map(([v]) => v),
  'POST',
  ...LIFECYCLE,
  ...Object.keys(READ_GUARDS),
  'CONTAINER_NAMES',
  'CONTAINER_LABELS',
  'SCRUB_ENVS',
  'PORTCULLIS_COMPAT',
  'PORTCULLIS_HARDEN',
];

export interface CompatSettings {
  readonly flavour: Flavour;
  /** every switch, defaults applied */
  readonly on: ReadonlyMap<string, boolean>;
  readonly harden: boolean;
  /** docker-proxy-filter: comma-separated values, split and trimmed */
  readonly containerNames: readonly string[];
  readonly containerLabels: readonly string[];
  readonly scrubEnvs: boolean;
  readonly socketPath: string | undefined;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly listen: string | undefined;
}

export class CompatError extends Error {
  override name = 'CompatError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** True when the environment holds any variable of the socket proxies (not SOCKET_PATH, LOG_LEVEL or DISABLE_IPV6 alone, which are too generic). */
export function hasCompatVariables(env: NodeJS.ProcessEnv): boolean {
  return TRIGGERS.some((v) => env[v] !== undefined);
}

/** HAProxy's and nginx's syslog level names, onto Portcullis's four. */
const LOG_LEVELS: Readonly<Record<string, CompatSettings['logLevel']>> = {
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warning: 'warn',
  warn: 'warn',
  err: 'error',
  error: 'error',
  crit: 'error',
  alert: 'error',
  emerg: 'error',
};

function list(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function readCompatSettings(env: NodeJS.ProcessEnv): CompatSettings {
  const problems: string[] = [];
  const on = new Map<string, boolean>();
  for (const name of SWITCHES) {
    const text = env[name];
    const fallback = DEFAULT_ON.has(name) || (READ_GUARDS[name] ?? false);
    if (text === undefined || text === '') on.set(name, fallback);
    else if (text === '0' || text === '1') on.set(name, text === '1');
    else problems.push(`${name}=${JSON.stringify(text)}: must be 0 or 1`);
  }
  const flavourText = env['PORTCULLIS_COMPAT'] ?? 'linuxserver';
  if (flavourText !== 'tecnativa' && flavourText !== 'linuxserver') {
    problems.push(`PORTCULLIS_COMPAT=${JSON.stringify(flavourText)}: must be tecnativa or linuxserver`);
  }
  const scrub = env['SCRUB_ENVS'];
  if (scrub !== undefined && !['true', 'false', '0', '1', ''].includes(scrub)) {
    problems.push(`SCRUB_ENVS=${JSON.stringify(scrub)}: must be true, false, 1 or 0`);
  }
  const levelText = (env['LOG_LEVEL'] ?? 'info').toLowerCase();
  const logLevel = LOG_LEVELS[levelText];
  if (logLevel === undefined) problems.push(`LOG_LEVEL=${JSON.stringify(env['LOG_LEVEL'])}: must be one of ${Object.keys(LOG_LEVELS).join(', ')}`);
  const socketPath = env['SOCKET_PATH'];
  if (socketPath !== undefined && !socketPath.startsWith('/')) problems.push(`SOCKET_PATH=${JSON.stringify(socketPath)}: must be an absolute path`);
  if (problems.length > 0) throw new CompatError(problems);
  return {
    flavour: flavourText as Flavour,
    on,
    harden: on.get('PORTCULLIS_HARDEN') ?? false,
    containerNames: list(env['CONTAINER_NAMES']),
    containerLabels: list(env['CONTAINER_LABELS']),
    scrubEnvs: scrub === 'true' || scrub === '1',
    socketPath: socketPath === '' ? undefined : socketPath,
    logLevel: logLevel ?? 'info',
    listen: env['PORTCULLIS_LISTEN'] || undefined,
  };
}
