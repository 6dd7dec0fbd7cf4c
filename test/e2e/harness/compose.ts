import { accessSync, constants } from 'node:fs';
import { prerequisite, type Prerequisite } from '../../prerequisite.js';
import { dockerEnv, runClient, type DockerResult } from './docker-cli.js';

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
