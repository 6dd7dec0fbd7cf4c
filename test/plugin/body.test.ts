import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPERATIONS } from '../../src/catalogue/operations.js';
import { inspectedBody, mayHaveBody, PLUGIN_MAX_BODY } from '../../src/plugin/body.js';
import type { AuthzCall } from '../../src/plugin/protocol.js';

const create = OPERATIONS.find((o) => o.id === 'ContainerCreate')!;
const build = OPERATIONS.find((o) => o.id === 'ImageBuild')!;

function call(body: string, headers: Record<string, string>): AuthzCall {
  return {
    user: '',
    authnMethod: '',
    method: 'POST',
    uri: '/containers/create',
    body: Buffer.from(body),
    headers: new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    peerCertificates: [],
    responseStatus: 0,
    responseBody: Buffer.alloc(0),
  };
}

describe('what of a body dockerd hands the plugin', () => {
  it('takes a body whose length matches its Content-Length', () => {
    const r = inspectedBody(create, call('{"Image":"x"}', { 'Content-Length': '13' }));
    assert.deepEqual(r, { seen: true, raw: Buffer.from('{"Image":"x"}') });
  });

  it('reads "no body" only from Content-Length: 0', () => {
    assert.deepEqual(inspectedBody(create, call('', { 'Content-Length': '0' })), { seen: true, raw: null });
    assert.equal(inspectedBody(create, call('', {})).seen, false);
    assert.equal(inspectedBody(create, call('', { 'Content-Length': ' 12 ' })).seen, false);
    assert.equal(inspectedBody(create, call('', { 'Content-Length': '1e3' })).seen, false);
    assert.equal(inspectedBody(create, call('', { 'Content-Length': String(PLUGIN_MAX_BODY) })).seen, false);
  });

  it('refuses a body shorter or longer than announced', () => {
    assert.equal(inspectedBody(create, call('{}', { 'Content-Length': '3' })).seen, false);
    assert.equal(inspectedBody(create, call('{}', { 'Content-Length': 'x' })).seen, false);
  });

  it('takes a chunked body a patched dockerd sent whole (Go drops Content-Length)', () => {
    assert.deepEqual(inspectedBody(create, call('{}', {})), { seen: true, raw: Buffer.from('{}') });
  });

  it('never needs the body of a streamed operation', () => {
    assert.deepEqual(inspectedBody(build, call('', { 'Content-Length': '999999' })), { seen: true, raw: null });
  });

  it('counts a body as possible unless Content-Length says 0', () => {
    assert.equal(mayHaveBody(call('', { 'Content-Length': '0' })), false);
    assert.equal(mayHaveBody(call('', {})), true);
    assert.equal(mayHaveBody(call('x', {})), true);
  });
});
