import type { Operation } from '../catalogue/operation.js';
import type { InspectRequest, InspectVerdict, Inspector } from '../inspect/types.js';

/**
 * Runs `first`, then `second` on the request as `first` changed it (its pinned path parameters,
 * query and body), so the later checks judge what will be forwarded. The first refusal wins;
 * when both allow, the later stage's params, query and body win where it sets them.
 */
export function chainInspectors(first: Inspector, second: Inspector): Inspector {
  return {
    wants(op: Operation): boolean {
      return first.wants(op) || second.wants(op);
    },
    async check(req: InspectRequest): Promise<InspectVerdict> {
      const a: InspectVerdict = first.wants(req.op) ? await first.check(req) : { allowed: true };
      if (!a.allowed) return a;
      if (!second.wants(req.op)) return a;
      const changed: InspectRequest = {
        ...req,
        params: a.params === undefined ? req.params : { ...req.params, ...a.params },
        query: a.query ?? req.query,
        body: a.body ?? req.body,
        lookup: req.lookup,
      };
      const b = await second.check(changed);
      if (!b.allowed) return b;
      const params = a.params === undefined && b.params === undefined ? undefined : { ...a.params, ...b.params };
      const query = b.query ?? a.query;
      const body = b.body ?? a.body;
      return {
        allowed: true,
        ...(params === undefined ? {} : { params }),
        ...(query === undefined ? {} : { query }),
        ...(body === undefined ? {} : { body }),
      };
    },
  };
}
