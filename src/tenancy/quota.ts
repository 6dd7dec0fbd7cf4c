import { setTimeout as delay } from 'node:timers/promises';
import { isJsonObject, JsonNumber, type JsonValue } from '../inspect/json-value.js';
import type { Confirm, Confirmed } from '../inspect/types.js';
import { serializeFilters } from './filters.js';
import { lookupFailed } from './refusal.js';
import type { Owner } from './visible.js';

/**
 * The container quota, held by the daemon's state alone, so that any number of concurrent creates
 * through any number of Portcullis processes cannot leave a client with more than its quota
 * (docs/tenancy.md, "Quotas", has the proof). A create is forwarded, then confirmed before the
 * client sees the answer: the confirm lists the owner's containers and
 * - keeps the new container when the owner has at most `max` containers (any state);
 * - removes it and refuses when at least `max` of them come before it in the order of creation
 *   (creation time in nanoseconds, then ID);
 * - otherwise waits (others over the quota are on their way out) and looks again, and removes it
 *   when that does not settle within `SETTLE_MS`.
 * Only the first rule keeps, so the guarantee does not rest on the order; the order only decides
 * who gives way, so that the quota fills up exactly when creates race.
 */

/** How long a create waits for concurrent ones to settle before it gives way itself. */
const SETTLE_MS = 15_000;
const FIRST_PAUSE_MS = 10;
const MAX_PAUSE_MS = 250;

interface Owned {
  readonly id: string;
  /** creation time in whole seconds, as the list shows it */
  readonly seconds: number;
}

async function ownedContainers(owner: Owner): Promise<Owned[]> {
  const filters = encodeURIComponent(serializeFilters(new Map([['label', new Set([`${owner.label}=${owner.client}`])]])));
  const res = await owner.lookup(`/containers/json?all=1&filters=${filters}`);
  if (res.status !== 200 || !Array.isArray(res.body)) lookupFailed(`cannot list the containers of client "${owner.client}": the daemon answered ${res.status}`);
  return res.body.map((c) => {
    const created = isJsonObject(c) ? c['Created'] : undefined;
    if (!isJsonObject(c) || typeof c['Id'] !== 'string' || !(created instanceof JsonNumber) || !Number.isSafeInteger(created.value)) {
      lookupFailed('a container in the list has no Id or Created');
    }
    return { id: c['Id'] as string, seconds: (created as JsonNumber).value };
  });
}

/** Go's RFC 3339 with nanoseconds (`time.RFC3339Nano`, UTC) as nanoseconds since the epoch. */
export function createdNanos(created: JsonValue | undefined): bigint | null {
  if (typeof created !== 'string') return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(created);
  if (m === null) return null;
  const seconds = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(seconds)) return null;
  return BigInt(seconds / 1000) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * How many of `owned` come before `self`. The list gives seconds only, so containers created in
 * the same second are inspected for their nanoseconds (once: creation times never change).
 */
async function ahead(owner: Owner, owned: readonly Owned[], self: Owned, nanos: Map<string, bigint | null>): Promise<number> {
  const precise = async (id: string): Promise<bigint | null> => {
    if (!nanos.has(id)) {
      const res = await owner.lookup(`/containers/${id}/json`);
      if (res.status === 404) return null; // gone meanwhile: it is ahead of nobody
      const at = res.status === 200 && isJsonObject(res.body) ? createdNanos(res.body['Created']) : null;
      if (at === null) lookupFailed(`cannot read when container ${id} was created`);
      nanos.set(id, at);
    }
    return nanos.get(id) ?? null;
  };
  const mine = await precise(self.id);
  if (mine === null) lookupFailed(`container ${self.id} went away while its create was being confirmed`);
  let count = 0;
  for (const c of owned) {
    if (c.id === self.id) continue;
    if (c.seconds < self.seconds) count++;
    else if (c.seconds === self.seconds) {
      const at = await precise(c.id);
      if (at !== null && (at < mine || (at === mine && c.id < self.id))) count++;
    }
  }
  return count;
}

async function remove(owner: Owner, id: string): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = await owner.lookup(`/containers/${id}?force=1&v=1`, 'DELETE');
    // 409: a removal is already under way.
    if (res.status === 204 || res.status === 404 || res.status === 409) return true;
  }
  return false;
}

function refused(owner: Owner, max: number, removed: boolean): Confirmed {
  const undo = removed ? 'the container was removed' : 'removing the container failed';
  return { ok: false, rule: 'PC_QUOTA_CONTAINERS', status: 403, reason: `client "${owner.client}" would own more than ${max} containers, the quota (${undo})` };
}

async function settle(owner: Owner, max: number, id: string): Promise<Confirmed> {
  const nanos = new Map<string, bigint | null>();
  const deadline = Date.now() + SETTLE_MS;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    const owned = await ownedContainers(owner);
    const self = owned.find((c) => c.id === id);
    // Removed already (by its client, who may list it): nothing left to keep or undo.
    if (self === undefined) return { ok: true };
    if (owned.length <= max) return { ok: true };
    if ((await ahead(owner, owned, self, nanos)) >= max || Date.now() >= deadline) return refused(owner, max, await remove(owner, id));
    await delay(pause);
  }
}

/** The confirm of a ContainerCreate under `quotas.containers: max`. */
export function confirmContainerQuota(owner: Owner, max: number): Confirm {
  return async (answer) => {
    // Anything but a 201 created nothing.
    if (answer.status !== 201) return { ok: true };
    const id = isJsonObject(answer.body) && typeof answer.body['Id'] === 'string' ? answer.body['Id'] : null;
    if (id === null) return { ok: false, rule: 'PC_INSPECT_FAILED', status: 502, reason: 'the create answer names no container to count' };
    try {
      return await settle(owner, max, id);
    } catch (error) {
      // A confirm that cannot finish keeps nothing it could not count.
      const removed = await remove(owner, id).catch(() => false);
      const why = (error as Error).message ?? String(error);
      return { ok: false, rule: 'PC_INSPECT_FAILED', status: 502, reason: `the container quota could not be confirmed (${why}); ${removed ? 'the container was removed' : 'removing the container failed'}` };
    }
  };
}
