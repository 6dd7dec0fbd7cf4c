import { InspectRefusal } from '../inspect/refusal.js';

/** An image outside the allowlist, answered exactly as dockerd answers a missing one. */
export function hiddenImage(shown: string, reason: string): never {
  throw new InspectRefusal('PC_IMAGE_HIDDEN', reason, 404, `No such image: ${shown}`);
}

export function notAllowed(reason: string): never {
  throw new InspectRefusal('PC_IMAGE_NOT_ALLOWED', reason);
}

export function badReference(reason: string): never {
  throw new InspectRefusal('PC_IMAGE_BAD_REFERENCE', reason);
}

export function unsupported(reason: string): never {
  throw new InspectRefusal('PC_IMAGE_UNSUPPORTED', reason);
}

/** A look-up that did not answer 200 or 404: refuse (fail closed). */
export function lookupFailed(reason: string): never {
  throw new InspectRefusal('PC_INSPECT_FAILED', reason);
}
