import { accessSync, constants } from 'node:fs';
import { prerequisite, type Prerequisite } from '../../prerequisite.js';
import { dockerBinary, dockerEnv, runClient, type DockerResult } from './docker-cli.js';

/** Compose 1.29 from Debian: docker-py, a client other than the docker CLI. */
export const COMPOSE = '/usr/bin/docker-compose';

/** docker-compose for a test's options: skipped without it, failing under PORTCULLIS_REQUIRE_E2E=1. */
export function composeRequired(): Prerequisite {
  let problem: string | undefined;
  try {
    accessSync(COMPOSE, constants.X_OK);
  } catch {
    problem = `${COMPOSE} is not installed`;
  }
  return prerequisite('docker-compose', problem);
}

/** Runs docker-compose for `project` in `dir` against `host` with every DOCKER_* variable but ours removed. */
export function compose(host: string, dir: string, configDir: string, project: string, args: string[], timeoutMs = 120_000): Promise<DockerResult> {
  return runClient(COMPOSE, ['-p', project, ...args], { cwd: dir, env: dockerEnv(host, configDir), timeoutMs });
}

/**
 * A compose file of two busybox services, web and worker, sharing the named volume `data` and the
 * user network `back`; `publish` also publishes web's port 80 on 127.0.0.1.
 */
export function twoServiceProject(image: string, publish: boolean): string {
  const service = (name: string, extra: string) => `  ${name}:
    image: ${image}
    command: sleep 1000
${extra}    volumes:
      - data:/data
    networks:
      - back
`;
  return `version: "3.8"
services:
${service('web', publish ? '    ports:\n      - "127.0.0.1::80"\n' : '')}${service('worker', '')}volumes:
  data: {}
networks:
  back: {}
`;
}

/**
 * Compose v2 (`docker compose`, the CLI plugin dockerEnv links into `configDir`) for `project` and the
 * compose file `file`, against `host`. Builds use the classic builder (POST /build): BuildKit's
 * channels are not mediated by the proxy yet.
 */
export function composeV2(host: string, file: string, configDir: string, project: string, args: string[], timeoutMs = 120_000): Promise<DockerResult> {
  return runClient(dockerBinary(), composeV2Args(file, project, args), {
    env: dockerEnv(host, configDir, { DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0' }),
    timeoutMs,
  });
}

/** The docker CLI arguments of a `docker compose` command, e.g. for spawnDocker. */
export function composeV2Args(file: string, project: string, args: string[]): string[] {
  return ['compose', '-p', project, '-f', file, ...args];
}
