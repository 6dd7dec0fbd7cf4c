import type { ErrorCode } from '../errors.js';
import type { InspectVerdict } from '../inspect/types.js';

/** A tenancy refusal, thrown so nested resolutions stop at the first problem. */
export class TenancyRefusal extends Error {
  constructor(
    readonly rule: ErrorCode,
    readonly reason: string,
    readonly status?: number,
    /** the whole message the client gets (dockerd's wording for hidden objects) */
    readonly clientMessage?: string,
  ) {
    super(reason);
    this.name = 'TenancyRefusal';
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

/** A hidden (or missing) object: 404 with dockerd's own message, so the two cannot be told apart. */
export function hidden(message: string, reason: string): never {
  throw new TenancyRefusal('PC_HIDDEN', reason, 404, message);
}

/** A look-up that failed: refuse (fail closed). */
export function lookupFailed(reason: string): never {
  throw new TenancyRefusal('PC_INSPECT_FAILED', reason);
}
