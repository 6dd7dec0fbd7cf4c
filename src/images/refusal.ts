import type { ErrorCode } from '../errors.js';
import type { InspectVerdict } from '../inspect/types.js';

/** An image allowlist refusal, thrown so that nested resolutions stop at the first problem. */
export class ImageRefusal extends Error {
  constructor(
    readonly rule: ErrorCode,
    readonly reason: string,
    readonly status?: number,
    /** the whole message the client gets (dockerd's wording for a missing image) */
    readonly clientMessage?: string,
  ) {
    super(reason);
    this.name = 'ImageRefusal';
  }

  verdict(): InspectVerdict {
    return {
      allowed: false,
      rule: this.rule,
      reason: this.reason,
      ...(this.status === undefined ? {} : { status: this.status }),
      ...(this.clientMessage === undefined ? {} : { message: this.clientMessage }),
    };
  }
}

/** An image outside the allowlist, answered exactly as dockerd answers a missing one. */
export function hiddenImage(shown: string, reason: string): never {
  throw new ImageRefusal('PC_IMAGE_HIDDEN', reason, 404, `No such image: ${shown}`);
}

export function notAllowed(reason: string): never {
  throw new ImageRefusal('PC_IMAGE_NOT_ALLOWED', reason);
}

export function badReference(reason: string): never {
  throw new ImageRefusal('PC_IMAGE_BAD_REFERENCE', reason);
}

export function unsupported(reason: string): never {
  throw new ImageRefusal('PC_IMAGE_UNSUPPORTED', reason);
}

/** A look-up that did not answer 200 or 404: refuse (fail closed). */
export function lookupFailed(reason: string): never {
  throw new ImageRefusal('PC_INSPECT_FAILED', reason);
}
