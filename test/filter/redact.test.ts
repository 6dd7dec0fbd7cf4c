import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeRedaction, redact, redactionSchema } from '../../src/filter/redact.js';
import { JsonNumber, type JsonValue } from '../../src/inspect/json-value.js';

const doc = (): JsonValue => ({
  Id: 'c1',
  Config: { Env: ['TOKEN=s3cret', 'PATH=/bin'], Labels: { team: 'a' }, Image: 'busybox' },
  HostConfig: { Memory: new JsonNumber('9223372036854775807'), Binds: ['/srv:/srv'] },
});

describe('redaction of inspect answers', () => {
  test('env empties Config.Env and keeps everything else', () => {
    const out = redact(doc(), { env: true, paths: [] }) as { Config: { Env: unknown; Labels: unknown } };
    assert.deepEqual(out.Config.Env, []);
    assert.deepEqual(out.Config.Labels, { team: 'a' });
  });

  test('paths remove the named fields, nested or not, and ignore absent ones', () => {
    const out = redact(doc(), { env: false, paths: ['Config.Labels', 'HostConfig.Binds', 'Nope.Deeper', 'Id'] }) as Record<string, Record<string, unknown>>;
    assert.equal('Id' in out, false);
    assert.equal('Labels' in out.Config!, false);
    assert.deepEqual(out.Config!.Env, ['TOKEN=s3cret', 'PATH=/bin']);
    assert.equal('Binds' in out.HostConfig!, false);
    assert.equal((out.HostConfig!.Memory as JsonNumber).literal, '9223372036854775807');
  });

  test('the original document is not changed', () => {
    const d = doc();
    redact(d, { env: true, paths: ['Config.Labels'] });
    assert.deepEqual(d, doc());
  });

  test('merging along extends: later keys win; nothing to redact is null', () => {
    assert.equal(mergeRedaction(), null);
    assert.equal(mergeRedaction({ env: true }, { env: false }), null);
    assert.deepEqual(mergeRedaction({ env: true }, { paths: ['Config.Labels'] }), { env: true, paths: ['Config.Labels'] });
  });

  test('the schema takes text booleans and dot paths only', () => {
    assert.deepEqual(redactionSchema.parse({ env: 'true', paths: ['Config.Env'] }), { env: true, paths: ['Config.Env'] });
    assert.throws(() => redactionSchema.parse({ paths: ['Config..Env'] }));
    assert.throws(() => redactionSchema.parse({ paths: ['Config.Env[0]'] }));
    assert.throws(() => redactionSchema.parse({ scrub: 'true' }));
  });
});
