import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Every socket read allocates a fresh Buffer outside the V8 heap, and V8 only collects them
 * once about 64 MB of such memory has piled up: a 500 MB transfer would then hold that much
 * garbage. A minor collection after every few megabytes returns it early; it is cheap because
 * nearly everything young is dead by then.
 */
const EVERY_BYTES = 8 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let sinceLast = 0;

export function reclaimAfter(bytes: number): void {
  sinceLast += bytes;
  if (sinceLast < EVERY_BYTES) return;
  sinceLast = 0;
  gc({ type: 'minor' });
}
