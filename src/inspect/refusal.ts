import type { Operation } from '../catalogue/operation.js';
import type { ErrorCode } from '../errors.js';
import type { InspectRequest, InspectVerdict, Inspector } from './types.js';

/**
 * A refusal thrown from deep inside a stage's checks, so nested resolutions stop at the first
 * problem; `refusingInspector` turns it into the verdict.
 */
export class InspectRefusal extends Error {
  constructor(
    readonly rule: ErrorCode,
    readonly reason: string,
    readonly status?: number,
    /** the whole message the client gets (dockerd's own wording, e.g. for a hidden object) */
    readonly clientMessage?: string,
  ) {
    super(reason);
    this.name = 'InspectRefusal';
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

/** An inspector for the operations in `wanted` whose `check` may throw an `InspectRefusal`. */
export function refusingInspector(wanted: ReadonlySet<string>, check: (req: InspectRequest) => Promise<InspectVerdict>): Inspector {
  return {
    wants(op: Operation): boolean {
      return wanted.has(op.id);
    },
    async check(req: InspectRequest): Promise<InspectVerdict> {
      if (!wanted.has(req.op.id)) return { allowed: true };
      try {
        return await check(req);
      } catch (error) {
        if (error instanceof InspectRefusal) return error.verdict();
        throw error;
      }
    },
  };
}
