import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeGoJson, serializeJson } from '../../src/inspect/go-json.js';
import type { JsonObject } from '../../src/inspect/json-value.js';
import { ANY } from '../../src/inspect/schemas.js';
import { EVENT_MESSAGE, streamSchemaFor } from '../../src/inspect/stream-schemas.js';

test('an event is read as the CLI reads it: labels that differ only in case are kept, not refused as ANY would', () => {
  const e = Buffer.from('{"Type":"container","Actor":{"ID":"a","Attributes":{"Tier":"1","tier":"2"}}}');
  assert.equal(decodeGoJson(e, ANY).ok, false);
  const d = decodeGoJson(e, streamSchemaFor('SystemEvents'));
  assert.ok(d.ok);
  assert.deepEqual(Object.keys(((d.value as JsonObject).Actor as JsonObject).Attributes as JsonObject), ['Tier', 'tier']);
  assert.equal(serializeJson(d.value), e.toString());
});

test('event fields still fold as in the struct, and two spellings of one field are refused', () => {
  const d = decodeGoJson(Buffer.from('{"type":"container","actor":{"id":"a"}}'), EVENT_MESSAGE);
  assert.ok(d.ok);
  assert.equal(serializeJson(d.value), '{"Type":"container","Actor":{"ID":"a"}}');
  assert.equal(decodeGoJson(Buffer.from('{"Type":"a","TYPE":"b"}'), EVENT_MESSAGE).ok, false);
});

test('other streams are read with the strictest descriptor', () => {
  assert.equal(streamSchemaFor('ContainerStats'), ANY);
  assert.equal(streamSchemaFor(null), ANY);
});
