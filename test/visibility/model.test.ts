import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeVisibility, visibilitySchema } from '../../src/visibility/model.js';

describe('visibility config', () => {
  it('the schema takes a match mode and names/labels per kind', () => {
    const parsed = visibilitySchema.parse({ match: 'substring', containers: { names: ['web-*'], labels: ['com.example.expose', 'env=prod'] }, volumes: {} });
    assert.deepEqual(parsed, { match: 'substring', containers: { names: ['web-*'], labels: ['com.example.expose', 'env=prod'] }, volumes: {} });
  });

  it('the schema refuses unknown keys, modes, empty patterns, control characters and selectors without a key', () => {
    for (const bad of [
      { match: 'regex' },
      { images: { names: ['x'] } },
      { containers: { name: ['x'] } },
      { containers: { names: [''] } },
      { containers: { names: ['we\nb'] } },
      { networks: { labels: ['=value'] } },
      { volumes: { labels: [''] } },
    ]) {
      assert.equal(visibilitySchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });

  it('nothing restricted is no visibility at all', () => {
    assert.equal(mergeVisibility(), null);
    assert.equal(mergeVisibility({ match: 'substring' }), null);
  });

  it('merges along extends: match and whole kind blocks of the child win, other kinds come from the base', () => {
    const merged = mergeVisibility({ containers: { names: ['a*'], labels: ['x'] }, volumes: { names: ['v'] } }, { match: 'substring', containers: { names: ['b'] } });
    assert.deepEqual(merged, {
      match: 'substring',
      containers: { names: ['b'], labels: [] },
      networks: null,
      volumes: { names: ['v'], labels: [] },
    });
  });

  it('an empty kind block restricts the kind to nothing; glob is the default mode', () => {
    assert.deepEqual(mergeVisibility({ networks: {} }), { match: 'glob', containers: null, networks: { names: [], labels: [] }, volumes: null });
  });
});
