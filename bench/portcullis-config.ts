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
