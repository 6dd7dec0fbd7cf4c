import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { explain, formatExplanation } from '../../src/cli/explain.js';
import { loadConfig } from '../../src/config/load.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const CONFIG = `
listeners:
  - name: ci
    address: tcp://127.0.0.1:0
    policy: ci
  - name: dash
    address: tcp://127.0.0.1:0
    policy: read-only
upstream:
  address: unix:///nonexistent/docker.sock
policies:
  ci:
    rules:
      - id: no-kill
        deny: [ContainerKill]
      - id: containers
        allow: ["containers:*"]
`;

describe('portcullis explain', () => {
  const loaded = loadConfig({ text: CONFIG, env: {} });

  it('names the operation, the decision and the deciding rule', async () => {
    const e = await explain(loaded, { method: 'GET', target: '/v1.41/containers/json?all=1', body: null });
    assert.deepEqual(
      { operation: e.operation, group: e.group, allowed: e.allowed, rule: e.rule, client: e.client, policy: e.policy },
      { operation: 'ContainerList', group: 'containers:read', allowed: true, rule: 'containers', client: 'ci', policy: 'ci' },
    );
    assert.match(formatExplanation(e), /decision: {2}ALLOW by rule containers/);
  });

  it('reports a deny rule and the message the client would get', async () => {
    const e = await explain(loaded, { method: 'POST', target: '/containers/x/kill', body: null });
    assert.equal(e.allowed, false);
    assert.equal(e.rule, 'no-kill');
    assert.equal(e.message, 'portcullis: ContainerKill denied: denied by rule no-kill (rule no-kill)');
  });

  it('answers for the client of another listener', async () => {
    const e = await explain(loaded, { method: 'POST', target: '/containers/create', body: Buffer.from('{}'), listener: 'dash' });
    assert.equal(e.allowed, false);
    assert.equal(e.rule, 'PC_DENIED_DEFAULT');
  });

  it('refuses what the proxy refuses before any rule: unknown endpoints, bad paths, old versions', async () => {
    for (const [target, rule] of [
      ['/containers/json/', 'PC_BAD_PATH'],
      ['/v1.41/nope', 'PC_UNKNOWN_ENDPOINT'],
      ['/v1.23/containers/json', 'PC_API_VERSION'],
    ] as const) {
      const e = await explain(loaded, { method: 'GET', target, body: null });
      assert.equal(e.rule, rule, target);
      assert.equal(e.operation, null);
    }
  });

  it('an unknown listener is an error', async () => {
    await assert.rejects(explain(loaded, { method: 'GET', target: '/_ping', body: null, listener: 'nope' }), /no listener named "nope"/);
  });

  it('exits 0 when allowed and 3 when denied, and prints JSON with --json', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'explain', ...args], { cwd: root, env: { PATH: process.env['PATH'] } }, (error, stdout) => {
          resolve({ code: error === null ? 0 : Number(error.code), stdout });
        });
      });
    const allowed = await run(['GET', '/_ping']);
    assert.equal(allowed.code, 0);
    assert.match(allowed.stdout, /operation: SystemPing \[system:read\]/);
    const denied = await run(['--json', 'POST', '/v1.41/containers/create']);
    assert.equal(denied.code, 3);
    assert.equal(JSON.parse(denied.stdout).rule, 'PC_DENIED_DEFAULT');
  });
});
