import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { startProxy, type RunningProxy } from '../../src/proxy/server.js';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
      })
      .on('error', reject)
      .end();
  });
}

describe('admin listener without a daemon', () => {
  let proxy: RunningProxy;
  let port: number;
  before(async () => {
    const loaded = loadConfig({
      text: 'listeners: [{ address: "tcp://127.0.0.1:0", policy: read-only }]\nupstream: { address: "unix:///nonexistent/docker.sock" }\nadmin: { address: "tcp://127.0.0.1:0", readyTimeoutMs: 500 }\n',
      env: {},
    });
    proxy = await startProxy(loaded, pino({ level: 'silent' }));
    const a = proxy.admin!.address;
    assert.equal(a.kind, 'tcp');
    port = a.kind === 'tcp' ? a.port : 0;
  });
  after(() => proxy.shutdown(0));

  it('is alive but not ready, and says why', async () => {
    assert.equal((await get(port, '/healthz')).status, 200);
    const ready = await get(port, '/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(JSON.parse(ready.body), { status: 'unready', reason: 'ENOENT' });
  });

  it('exports the metrics, with the daemon down and the failed connections counted', async () => {
    const m = await get(port, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.type, /^text\/plain/);
    assert.match(m.body, /^portcullis_upstream_up 0$/m);
    assert.match(m.body, /^portcullis_upstream_errors_total\{errno="ENOENT"\} [1-9]/m);
    assert.match(m.body, /^portcullis_active_connections 0$/m);
    assert.match(m.body, /^portcullis_active_streams\{kind="events"\} 0$/m);
    assert.match(m.body, /^portcullis_config_reloads_total\{result="failure"\} 0$/m);
    assert.match(m.body, /^portcullis_policy_generation 1$/m);
    assert.match(m.body, /^process_cpu_seconds_total /m);
  });

  it('answers nothing else, and only GET', async () => {
    assert.equal((await get(port, '/containers/json')).status, 404);
    assert.equal((await get(port, '/metrics', 'POST')).status, 405);
  });
});

describe('admin config', () => {
  it('refuses an admin address that is also a listener address', () => {
    assert.throws(
      () => loadConfig({ text: 'listeners: [{ address: "tcp://127.0.0.1:9375", policy: read-only }]\nadmin: { address: "tcp://127.0.0.1:9375" }\n', env: {} }),
      /admin\.address: is also the address of a listener/,
    );
  });
});
