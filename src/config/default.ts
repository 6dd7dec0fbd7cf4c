/**
 * The configuration used when none is given: the safest useful setup, a loopback-only listener
 * that can only read. The upstream is left out so DOCKER_HOST, or else the local socket, applies.
 */
export const DEFAULT_CONFIG = `\
listeners:
  - address: tcp://127.0.0.1:2375
    policy: read-only
`;
