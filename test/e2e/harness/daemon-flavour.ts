/**
 * Which dockerd the e2e tests run against, and where today's client plugins live.
 *
 * `PORTCULLIS_TEST_DOCKERD` picks the daemon: unset or `20` is the machine's dockerd (Debian bookworm,
 * 20.10, API 1.41); `26` is Debian trixie's dockerd 26.1 (API 1.45) that `scripts/modern-docker.sh`
 * extracts under `.tmp/modern-docker/root`. The same extraction holds the buildx and Compose v2 CLI
 * plugins, which every docker CLI the harness runs gets in its private DOCKER_CONFIG.
 */
import { accessSync, constants, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Where scripts/modern-docker.sh extracts trixie's packages; PORTCULLIS_MODERN_DOCKER_ROOT overrides it. */
export function modernDockerRoot(): string {
  return process.env.PORTCULLIS_MODERN_DOCKER_ROOT ?? join(repoRoot, '.tmp', 'modern-docker', 'root');
}

export interface DaemonFlavour {
  /** shown in suite names and the runner's summary, e.g. `dockerd 26` */
  label: string;
  /** the Engine API version this daemon speaks (GET /version → ApiVersion) */
  apiVersion: string;
  /** the dockerd to exec (a bare name is looked up on PATH) */
  binary: string;
  /** directories put first on dockerd's PATH, so it finds its own docker-proxy and docker-init */
  pathPrefix: string[];
  /** why this daemon cannot run here, if it cannot */
  missing?: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function daemonFlavour(): DaemonFlavour {
  const wanted = process.env.PORTCULLIS_TEST_DOCKERD ?? '20';
  if (wanted === '20') return { label: 'dockerd 20', apiVersion: '1.41', binary: 'dockerd', pathPrefix: [] };
  if (wanted === '26') {
    const root = modernDockerRoot();
    const binary = join(root, 'usr', 'sbin', 'dockerd');
    return {
      label: 'dockerd 26',
      apiVersion: '1.45',
      binary,
      pathPrefix: [join(root, 'usr', 'sbin'), join(root, 'usr', 'bin')],
      ...(executable(binary) ? {} : { missing: `${binary} is missing (run scripts/modern-docker.sh)` }),
    };
  }
  return { label: `dockerd ${wanted}`, apiVersion: '?', binary: 'dockerd', pathPrefix: [], missing: `PORTCULLIS_TEST_DOCKERD=${wanted}: only 20 and 26 are known` };
}

const PLUGINS = ['docker-buildx', 'docker-compose'];

/** The CLI plugins scripts/modern-docker.sh provides, or undefined when it has not run. */
function pluginSource(): string | undefined {
  const dir = join(modernDockerRoot(), 'usr', 'libexec', 'docker', 'cli-plugins');
  return PLUGINS.every((p) => executable(join(dir, p))) ? dir : undefined;
}

/** Why `docker compose` (v2) cannot run here, or undefined when it can. */
export function composeV2Missing(): string | undefined {
  return pluginSource() === undefined ? `no CLI plugins under ${modernDockerRoot()} (run scripts/modern-docker.sh)` : undefined;
}

/** A test's `skip` option for tests that need Compose v2: under PORTCULLIS_REQUIRE_E2E=1 they run, and fail, instead. */
export function composeV2Skip(): string | false {
  if (process.env.PORTCULLIS_REQUIRE_E2E === '1') return false;
  return composeV2Missing() ?? false;
}

/**
 * Links buildx and Compose v2 into `<configDir>/cli-plugins` (the only plugin directory of a private
 * DOCKER_CONFIG the CLI searches besides system ones, which this machine leaves empty). Idempotent.
 */
export function linkCliPlugins(configDir: string): void {
  const source = pluginSource();
  if (source === undefined) return;
  const target = join(configDir, 'cli-plugins');
  mkdirSync(target, { recursive: true });
  for (const plugin of PLUGINS) {
    try {
      symlinkSync(join(source, plugin), join(target, plugin));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
