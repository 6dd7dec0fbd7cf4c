import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATIONS_BY_ID } from '../../src/catalogue/operations.js';
import { chainInspectors } from '../../src/inspect/chain.js';
import type { JsonObject, JsonValue } from '../../src/inspect/json-value.js';
import type { InspectRequest, InspectVerdict, Inspector } from '../../src/inspect/types.js';

const EVENTS = OPERATIONS_BY_ID.get('SystemEvents')!;

function request(): InspectRequest {
  return {
    op: EVENTS,
    method: 'GET',
    path: '/events',
    params: {},
    query: new Map(),
    version: '1.41',
    client: 'tester',
    body: null,
    lookup: () => Promise.reject(new Error('no look-ups here')),
  };
}

function stage(verdict: InspectVerdict): Inspector {
  return { wants: () => true, check: () => verdict };
}

/** Appends its tag to the event's `trail`, so the order the filters ran in shows. */
const tagging = (tag: string) => (v: JsonValue): JsonValue => {
  const o = v as JsonObject;
  return { ...o, trail: `${o.trail as string}${tag}` };
};

async function eventsOf(first: Inspector, second: Inspector): Promise<((e: JsonValue) => JsonValue | null) | undefined> {
  const v = await chainInspectors(first, second).check(request());
  assert.ok(v.allowed);
  return v.events;
}

test('both event filters apply, the first stage last so it sees what the client will', async () => {
  const events = await eventsOf(stage({ allowed: true, events: tagging('a') }), stage({ allowed: true, events: tagging('b') }));
  assert.deepEqual(events!({ trail: '' }), { trail: 'ba' });
});

test('an event the later stage drops never reaches the first', async () => {
  let reached = 0;
  const first = stage({
    allowed: true,
    events: (v) => {
      reached++;
      return v;
    },
  });
  const events = await eventsOf(first, stage({ allowed: true, events: () => null }));
  assert.equal(events!({ trail: '' }), null);
  assert.equal(reached, 0);
});

test('the first stage may drop what the later one kept', async () => {
  const events = await eventsOf(stage({ allowed: true, events: () => null }), stage({ allowed: true, events: tagging('b') }));
  assert.equal(events!({ trail: '' }), null);
});

test('a single stage filter is kept as it is, and none means none', async () => {
  const only = tagging('x');
  assert.equal(await eventsOf(stage({ allowed: true }), stage({ allowed: true, events: only })), only);
  assert.equal(await eventsOf(stage({ allowed: true, events: only }), stage({ allowed: true })), only);
  assert.equal(await eventsOf(stage({ allowed: true }), stage({ allowed: true })), undefined);
});
