import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { filterDataUsage, filterImageSummaries, trimImageHistory, trimImageInspect } from '../../src/images/filter.js';
import { mergeImages } from '../../src/images/model.js';
import { JsonNumber, type JsonValue } from '../../src/inspect/json-value.js';
import { j } from '../policy/constraints/helpers.js';

const allow = mergeImages({ allow: ['busybox:local', 'registry.example.com/team/*'] })!;
const DIGEST = 'sha256:' + 'e'.repeat(64);

const summaries = (): JsonValue =>
  j([
    { Id: 'shared', RepoTags: ['other:tag', 'busybox:local'], RepoDigests: ['busybox@' + DIGEST], Size: new JsonNumber('9007199254740993') },
    { Id: 'hidden', RepoTags: ['other:tag2'], RepoDigests: [] },
    { Id: 'dangling', RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] },
    { Id: 'untagged', RepoTags: null, RepoDigests: null },
    { Id: 'digest-only', RepoTags: [], RepoDigests: ['registry.example.com/team/app@' + DIGEST] },
  ]);

describe('image allowlist response filters', () => {
  test('ImageList keeps images with an allowed name, with only their allowed names', () => {
    assert.deepEqual(
      filterImageSummaries(allow, summaries()),
      j([
        { Id: 'shared', RepoTags: ['busybox:local'], RepoDigests: [], Size: new JsonNumber('9007199254740993') },
        { Id: 'digest-only', RepoTags: [], RepoDigests: ['registry.example.com/team/app@' + DIGEST] },
      ]),
    );
  });

  test('an allowlist that allows every name keeps every named image whole (the neighbour)', () => {
    const everything = mergeImages({ allow: ['*', '*/*', 'registry.example.com/team/*'] })!;
    const out = filterImageSummaries(everything, summaries()) as { Id: string }[];
    assert.deepEqual(out.map((s) => s.Id), ['shared', 'hidden', 'digest-only']);
    assert.deepEqual(out[0], (summaries() as JsonValue[])[0]);
  });

  test('SystemDataUsage filters its Images the same way and keeps the rest', () => {
    const out = filterDataUsage(allow, j({ LayersSize: 5, Images: summaries(), Containers: [], Volumes: [] })) as Record<string, unknown>;
    assert.deepEqual((out.Images as { Id: string }[]).map((s) => s.Id), ['shared', 'digest-only']);
    assert.deepEqual(out.LayersSize, new JsonNumber('5'));
    assert.deepEqual(filterDataUsage(allow, j({ LayersSize: 0, Images: null })), j({ LayersSize: 0, Images: null }));
  });

  test('inspect and history answers lose the names outside the allowlist', () => {
    assert.deepEqual(trimImageInspect(allow, j({ Id: 'x', RepoTags: ['busybox:local', 'other:tag'], RepoDigests: ['other@' + DIGEST] })), j({ Id: 'x', RepoTags: ['busybox:local'], RepoDigests: [] }));
    assert.deepEqual(trimImageHistory(allow, j([{ Id: 'x', Tags: ['other:tag'] }, { Id: 'y', Tags: ['busybox:local'] }])), j([{ Id: 'x', Tags: [] }, { Id: 'y', Tags: ['busybox:local'] }]));
  });

  test('answers of another shape pass unchanged', () => {
    const odd = j({ message: 'not a list' });
    assert.equal(filterImageSummaries(allow, odd), odd);
    assert.equal(trimImageHistory(allow, odd), odd);
    assert.equal(trimImageInspect(allow, j(['x'])) instanceof Array, true);
  });
});
