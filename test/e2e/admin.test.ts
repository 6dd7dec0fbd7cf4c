/**
 * The admin listener (issue 11): /metrics scraped by a real Prometheus server during a known
 * workload, whose counts read back through Prometheus's HTTP API match the decision log exactly;
 * /healthz, /readyz and /policy; `portcullis healthcheck` healthy for a token-only listener.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { spawnDocker, waitFor } from './harness/background.js';
import { docker, runClient } from './harness/docker-cli.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';
import { exchange } from './harness/wire.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'a'.repeat(40);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function config(upstream: string, adminPort: number): string {
  return `
listeners:
  - name: main
    address: tcp://127.0.0.1:0
    policy: ops
  - name: gated
    address: tcp://127.0.0.1:0
upstream:
  address: ${upstream}
clients:
  - name: ci
    policy: ops
    token: ${TOKEN}
policies:
  ops:
    rules:
      - id: basics
        allow: [SystemPing, SystemPingHead, SystemVersion, SystemEvents, ContainerList]
admin:
  address: tcp://127.0.0.1:${adminPort}
`;
}

type Key = string;
const keyOf = (m: { client?: string | null; operation?: string | null; decision?: string }): Key =>
  `${m.client ?? ''}|${m.operation ?? 'none'}|${m.decision}`;

e2eSuite('admin listener', (ctx) => {
  const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
  let proxy: Proxy;
  let adminPort: number;
  let prometheus: ChildProcess | undefined;
  let promPort: number;
  let promDir: string;

  before(async () => {
    adminPort = await freePort();
    proxy = await startPortcullis({ configYaml: config(ctx.dockerd.host, adminPort) });
    promDir = await mkdtemp(join(tmpdir(), 'pc-prom-'));
    if (!hasPrometheus) return;
    promPort = await freePort();
    await writeFile(
      join(promDir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: portcullis\n    static_configs: [{ targets: ['127.0.0.1:${adminPort}'] }]\n`,
    );
    prometheus = spawn(
      'prometheus',
      [`--config.file=${join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
      { stdio: 'ignore' },
    );
    await waitFor('prometheus to be ready', () => get(promPort, '/-/ready').then((r) => r.status === 200, () => false), 30_000);
  });
  after(async () => {
    prometheus?.kill('SIGTERM');
    await proxy?.stop();
    await rm(promDir, { recursive: true, force: true });
  });

  it('serves /healthz, /readyz and /policy, and never the Docker API', async () => {
    assert.deepEqual(await get(adminPort, '/healthz'), { status: 200, body: '{"status":"ok"}\n' });
    assert.deepEqual(await get(adminPort, '/readyz'), { status: 200, body: '{"status":"ready"}\n' });
    const policy = JSON.parse((await get(adminPort, '/policy')).body) as Record<string, unknown>;
    assert.equal(policy.generation, 1);
    assert.match(String(policy.sha256), /^[0-9a-f]{64}$/);
    assert.deepEqual(policy.policies, [{ name: 'ops', mode: 'enforce', builtin: false }]);
    for (const path of ['/containers/json', '/v1.41/_ping', '/_ping']) {
      const r = await get(adminPort, path);
      assert.equal(r.status, 404, `${path}: ${r.body}`);
    }
  });

  it('portcullis healthcheck asks the admin listener, so a token-only listener config is healthy', async () => {
    const file = join(promDir, 'portcullis.yaml');
    await writeFile(file, config(ctx.dockerd.host, adminPort));
    const r = await runClient(process.execPath, [join(repoRoot, 'dist/cli/main.js'), 'healthcheck', '--config', file], { env: process.env });
    assert.equal(r.code, 0, r.stderr);
    // Without credentials the gated listener itself refuses: that is what the admin listener avoids.
    const gated = await exchange(proxy.host('gated'), 'GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    assert.match(gated.data.toString(), /^HTTP\/1\.1 403 /);
  });

  it('Prometheus scraping during a known workload reads back exactly the decided requests', { timeout: 120_000, skip: !hasPrometheus && 'prometheus is not installed' }, async (t) => {
    const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      const r = await get(promPort, `/api/v1/query?query=${encodeURIComponent(q)}`);
      assert.equal(r.status, 200, r.body);
      return (JSON.parse(r.body) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
    };
    const events = await spawnDocker(proxy.host(), ['events', '--format', '{{.Action}}']);
    try {
      await waitFor('the events stream in /metrics', async () => (await query('portcullis_active_streams{kind="events"}'))[0]?.value[1] === '1', 30_000);

      const PS = 5;
      const DENIED = 3;
      const BAD_TOKEN = 2;
      for (let i = 0; i < PS; i++) {
        const ps = await docker(proxy.host(), ['ps', '-q']);
        assert.equal(ps.code, 0, ps.stderr);
      }
      for (let i = 0; i < DENIED; i++) {
        const r = await exchange(proxy.host(), 'POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
        assert.match(r.data.toString(), /^HTTP\/1\.1 403 /);
      }
      for (let i = 0; i < BAD_TOKEN; i++) {
        const r = await exchange(proxy.host('gated'), `GET /containers/json HTTP/1.1\r\nHost: docker\r\nAuthorization: Bearer ${'b'.repeat(40)}\r\nConnection: close\r\n\r\n`);
        assert.match(r.data.toString(), /^HTTP\/1\.1 401 /);
      }
      const ci = await exchange(proxy.host('gated'), `GET /containers/json HTTP/1.1\r\nHost: docker\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
      assert.match(ci.data.toString(), /^HTTP\/1\.1 200 /);

      // Every decided request is a decision line (the events stream's comes when it ends).
      const expected = (): Map<Key, number> => {
        const m = new Map<Key, number>();
        for (const l of proxy.logs()) {
          const k = keyOf({ client: l.client as string | null, operation: l.operation, decision: l.decision });
          m.set(k, (m.get(k) ?? 0) + 1);
        }
        return m;
      };
      let last = '';
      await waitFor(
        'Prometheus to read back the decision log',
        async () => {
          const want = expected();
          const got = new Map((await query('portcullis_requests_total')).map((r) => [keyOf(r.metric), Number(r.value[1])]));
          last = `want ${JSON.stringify([...want])}\ngot  ${JSON.stringify([...got])}`;
          return got.size === want.size && [...want].every(([k, n]) => got.get(k) === n);
        },
        30_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${last}`);
      });
      const got = new Map((await query('portcullis_requests_total')).map((r) => [keyOf(r.metric), Number(r.value[1])]));
      assert.equal(got.get('main|ContainerList|allow'), PS);
      assert.equal(got.get('main|ContainerCreate|deny'), DENIED);
      // ...plus the anonymous /_ping the gated listener refused in the healthcheck test.
      assert.equal(got.get('|none|deny'), BAD_TOKEN + 1);
      assert.equal(got.get('ci|ContainerList|allow'), 1);
      assert.ok((await query('portcullis_requests_total')).every((r) => r.metric.mode === 'enforce'));
      const durations = await query('sum(portcullis_request_duration_seconds_count{operation="ContainerList",decision="allow"})');
      assert.equal(durations[0]?.value[1], String(PS + 1));
      assert.equal((await query('portcullis_upstream_up'))[0]?.value[1], '1');
      assert.equal((await query('portcullis_policy_generation'))[0]?.value[1], '1');
      assert.equal((await query('portcullis_build_info'))[0]?.metric.version, '0.1.0');
      assert.ok((await query('process_resident_memory_bytes')).length === 1);
      t.diagnostic(`series read back: ${[...got].map(([k, n]) => `${k}=${n}`).join(', ')}`);

      // A failed reload (the file watch sees the change) is counted, and the generation stays.
      await writeFile(proxy.configFile, 'listeners: [\n');
      const failures = (): number => proxy.allLogs().filter((l) => String(l.msg).startsWith('config reload failed')).length;
      await waitFor('the failed reload', () => failures() > 0);
      await waitFor('the failed reloads in Prometheus', async () => (await query('portcullis_config_reloads_total{result="failure"}'))[0]?.value[1] === String(failures()), 30_000);
      assert.equal((await query('portcullis_config_reloads_total{result="success"}'))[0]?.value[1], '0');
      assert.equal((await query('portcullis_policy_generation'))[0]?.value[1], '1');
    } finally {
      await events.stop();
    }
  });
});
