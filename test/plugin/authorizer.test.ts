import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import type { JsonValue } from '../../src/inspect/json-value.js';
import { createAuthorizer } from '../../src/plugin/authorizer.js';
import { parseAuthzCall, type AuthzCall } from '../../src/plugin/protocol.js';
import { createSelfMarker } from '../../src/plugin/self.js';

const CONFIG = `
listeners:
  - name: local
    address: tcp://127.0.0.1:0
    policy: ci
upstream:
  address: unix:///nonexistent/docker.sock
policies:
  ci:
    extends: hardened
    rules:
      - id: no-inspect
        deny: [ContainerInspect]
`;

/** An AuthZReq as dockerd marshals it. */
function call(method: string, uri: string, opts: { body?: string | Buffer; headers?: Record<string, string>; user?: string } = {}): AuthzCall {
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  const headers: Record<string, string> = { 'User-Agent': 'Docker-Client/28.2.2 (linux)', ...(opts.headers ?? {}) };
  if (body !== undefined && opts.headers?.['Content-Length'] === undefined) headers['Content-Length'] = String(body.length);
  if (body !== undefined && opts.headers?.['Content-Type'] === undefined) headers['Content-Type'] = 'application/json';
  const wire = {
    ...(opts.user !== undefined ? { User: opts.user, UserAuthNMethod: 'TLS' } : {}),
    RequestMethod: method,
    RequestUri: uri,
    ...(body !== undefined && body.length > 0 ? { RequestBody: body.toString('base64') } : {}),
    RequestHeaders: headers,
  };
  return parseAuthzCall(Buffer.from(JSON.stringify(wire)));
}

type Containers = Record<string, JsonValue>;

function authorizer(containers: Containers = {}) {
  const loaded = loadConfig({ text: CONFIG, env: {}, plugin: {} });
  const self = createSelfMarker();
  const looked: string[] = [];
  const lookup = async (path: string) => {
    looked.push(path);
    const m = /^\/containers\/([^/]+)\/json$/.exec(path);
    const c = m === null ? undefined : containers[decodeURIComponent(m[1]!)];
    return c === undefined ? { status: 404, body: { message: 'No such container' } } : { status: 200, body: c };
  };
  return { a: createAuthorizer(loaded, { lookup, self }), self, looked };
}

const SAFE = JSON.stringify({ Image: 'busybox', HostConfig: { NetworkMode: 'none' } });
const PRIVILEGED = JSON.stringify({ Image: 'busybox', HostConfig: { Privileged: true } });

describe('plugin authorizer', () => {
  it('allows a safe create and refuses a privileged one, with the proxy\'s rule and message', async () => {
    const { a } = authorizer();
    const ok = await a.request(call('POST', '/v1.41/containers/create', { body: SAFE }));
    assert.equal(ok.allowed, true);
    assert.equal(ok.operation, 'ContainerCreate');
    const no = await a.request(call('POST', '/v1.41/containers/create', { body: PRIVILEGED }));
    assert.equal(no.allowed, false);
    assert.equal(no.rule, 'PC_DENIED_PRIVILEGED');
    assert.match(no.message!, /^portcullis: ContainerCreate denied: .*\(rule PC_DENIED_PRIVILEGED\)$/);
  });

  it('decodes the body as Go does: case-folded keys count, duplicates are refused', async () => {
    const { a } = authorizer();
    const folded = await a.request(call('POST', '/containers/create', { body: '{"Image":"busybox","hostconfig":{"privileged":true}}' }));
    assert.equal(folded.rule, 'PC_DENIED_PRIVILEGED');
    const dup = await a.request(call('POST', '/containers/create', { body: '{"Image":"busybox","HostConfig":{"Privileged":false,"Privileged":true}}' }));
    assert.equal(dup.allowed, false);
    assert.equal(dup.rule, 'PC_BAD_JSON');
  });

  it('refuses an inspected body dockerd did not send: chunked (no Content-Length left), too large, not JSON, truncated', async () => {
    const { a } = authorizer();
    const cases: Array<[string, AuthzCall]> = [
      ['chunked', call('POST', '/containers/create', { headers: { 'Content-Type': 'application/json' } })],
      ['1 MiB', call('POST', '/containers/create', { headers: { 'Content-Type': 'application/json', 'Content-Length': String(1024 * 1024 + 5) } })],
      ['text/plain', call('POST', '/containers/create', { headers: { 'Content-Type': 'text/plain', 'Content-Length': '80' } })],
      ['truncated', call('POST', '/containers/create', { body: SAFE, headers: { 'Content-Length': String(SAFE.length + 10) } })],
      ['no Content-Type (dockerd reads it as JSON, sends it to nobody)', call('POST', '/containers/create', { headers: { 'Content-Length': '80' } })],
    ];
    for (const [label, c] of cases) {
      const d = await a.request(c);
      assert.equal(d.allowed, false, label);
      assert.equal(d.rule, 'PC_PLUGIN_BODY_UNSEEN', label);
    }
  });

  it('judges a create announced with Content-Length: 0 as one without a body, as dockerd will read it', async () => {
    const { a } = authorizer();
    const d = await a.request(call('POST', '/containers/create', { headers: { 'Content-Type': 'application/json', 'Content-Length': '0' } }));
    // As through the proxy: nothing to refuse in an absent body, and dockerd answers 400 itself.
    assert.equal(d.allowed, true);
    assert.equal(d.rule, 'hardened-containers');
  });

  it('refuses a body it was not shown on an operation that takes none: it could be a form dockerd reads', async () => {
    const { a } = authorizer();
    // Content-Type form-encoded first, then JSON: dockerd parses the form, the plugin sees JSON.
    const hidden = await a.request(call('POST', '/containers/abc/stop', { headers: { 'Content-Type': 'application/json', 'Content-Length': '5' } }));
    assert.equal(hidden.rule, 'PC_PLUGIN_BODY_UNSEEN');
    assert.equal((await a.request(call('POST', '/containers/abc/stop'))).rule, 'PC_PLUGIN_BODY_UNSEEN');
    const none = await a.request(call('POST', '/containers/abc/stop', { headers: { 'Content-Length': '0' } }));
    assert.equal(none.allowed, true);
    const shown = await a.request(call('POST', '/containers/abc/stop', { body: '{}' }));
    assert.equal(shown.allowed, true);
    assert.equal((await a.request(call('DELETE', '/containers/abc'))).allowed, true, 'Go reads no form from a DELETE body');
  });

  it('routes as the proxy does: unknown endpoints and non-canonical paths are refused', async () => {
    const { a } = authorizer();
    assert.equal((await a.request(call('GET', '/v1.41/nope'))).rule, 'PC_UNKNOWN_ENDPOINT');
    assert.equal((await a.request(call('GET', '/v1.41/containers/../info'))).rule, 'PC_BAD_PATH');
    assert.equal((await a.request(call('POST', '/v1.41/swarm/init', { body: '{}' }))).rule, 'PC_DENIED_DEFAULT');
  });

  it('refuses a form body, which dockerd would merge into the query', async () => {
    const { a } = authorizer();
    const d = await a.request(call('POST', '/containers/abc/stop', { headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '4' } }));
    assert.equal(d.rule, 'PC_FORM_BODY');
    const build = await a.request(call('POST', '/build', { headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '4' } }));
    assert.equal(build.rule, 'PC_FORM_BODY');
  });

  it('checks a start against the daemon\'s state through a look-up', async () => {
    const { a, looked } = authorizer({
      bad: { Id: 'b'.repeat(64), Name: '/bad', Config: { Image: 'busybox' }, HostConfig: { Privileged: true } },
    });
    const d = await a.request(call('POST', '/v1.41/containers/bad/start', { headers: { 'Content-Length': '0' } }));
    assert.equal(d.rule, 'PC_DENIED_START_UNSAFE');
    assert.deepEqual(looked, ['/containers/bad/json']);
  });

  it('allows its own look-ups even where the policy refuses the operation, and nobody else\'s', async () => {
    const { a, self } = authorizer();
    const own = await a.request(call('GET', '/containers/bad/json', { headers: { ...self.headers } }));
    assert.equal(own.allowed, true);
    assert.equal(own.rule, 'self');
    const forged = await a.request(call('GET', '/containers/bad/json', { headers: { 'X-Portcullis-Lookup': '0'.repeat(64) } }));
    assert.equal(forged.allowed, false);
    assert.equal(forged.rule, 'no-inspect');
    const write = await a.request(call('POST', '/containers/bad/kill', { headers: { ...self.headers, 'Content-Length': '0' } }));
    assert.notEqual(write.rule, 'self', 'only reads are recognised as look-ups');
  });
  it('refuses rather than allow a decision that needs the answer rewritten (a config check --mode plugin would refuse)', async () => {
    const loaded = loadConfig({ text: `${CONFIG}    redact: { env: true }\n`.replace('      - id: no-inspect\n        deny: [ContainerInspect]\n', '      - id: all\n        allow: [ContainerInspect]\n'), env: {} });
    const a = createAuthorizer(loaded, { lookup: () => Promise.reject(new Error('no daemon')), self: createSelfMarker() });
    const d = await a.request(call('GET', '/v1.41/containers/abc/json'));
    assert.equal(d.allowed, false);
    assert.equal(d.rule, 'PC_PLUGIN_UNSUPPORTED');
  });
});
