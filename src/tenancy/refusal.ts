import { InspectRefusal } from '../inspect/refusal.js';

/** A hidden (or missing) object: 404 with dockerd's own message, so the two cannot be told apart. */
export function hidden(message: string, reason: string): never {
  throw new InspectRefusal('PC_HIDDEN', reason, 404, message);
}

/** A look-up that failed: refuse (fail closed). */
export function lookupFailed(reason: string): never {
  throw new InspectRefusal('PC_INSPECT_FAILED', reason);
}
