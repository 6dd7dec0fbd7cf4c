/** The Portcullis configuration the bench runs: one TCP listener, a policy allowing exactly what the cases call. */
export function portcullisConfig(socketPath: string): string {
  return [
    'listeners:',
    '  - name: bench',
    '    address: tcp://127.0.0.1:0',
    '    policy: bench',
    'upstream:',
    `  address: unix://${socketPath}`,
    'policies:',
    '  bench:',
    '    rules:',
    '      - id: bench',
    '        allow: [SystemPing, ContainerList, ImageGet]',
    'log:',
    '  decisions: true',
    '  level: info',
    '',
  ].join('\n');
}

/**
 * The configuration of the `tenant-list` case: the client `alice`, recognised by a bearer token, gets the
 * policy `tenant` (read-only with ownership tenancy), so Portcullis pushes the owner label filter
 * `io.portcullis.owner=alice` into ContainerList's `filters`.
 */
export function portcullisTenantConfig(socketPath: string, token: string): string {
  return [
    'listeners:',
    '  - name: bench',
    '    address: tcp://127.0.0.1:0',
    'upstream:',
    `  address: unix://${socketPath}`,
    'policies:',
    '  tenant:',
    '    extends: read-only',
    '    tenancy:',
    '      ownership: true',
    'clients:',
    '  - name: alice',
    '    policy: tenant',
    `    token: ${token}`,
    'log:',
    '  decisions: true',
    '  level: info',
    '',
  ].join('\n');
}
