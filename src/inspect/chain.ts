import type { Operation } from '../catalogue/operation.js';
import type { JsonValue } from './json-value.js';
import type { Confirmed, DaemonAnswer, InspectRequest, InspectVerdict, Inspector } from './types.js';

/**
 * Runs `first`, then `second` on the request as `first` changed it (its pinned path parameters,
 * query and body), so the later checks judge what will be forwarded. The first refusal wins;
 * when both allow, the later stage's params, query and body win where it sets them, and their
 * response filters both apply (the first stage's last, so it sees what the client will). So do
 * their event filters, and an event the later stage drops never reaches the first.
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
      const fa = a.response;
      const fb = b.response;
      const response = fa === undefined ? fb : fb === undefined ? fa : (v: JsonValue) => fa(fb(v));
      const ea = a.events;
      const eb = b.events;
      const events =
        ea === undefined
          ? eb
          : eb === undefined
            ? ea
            : (v: JsonValue): JsonValue | null => {
                const inner = eb(v);
                return inner === null ? null : ea(inner);
              };
      const ca = a.confirm;
      const cb = b.confirm;
      // The later stage undoes first; a refusal stops the earlier one from judging an answer the client will not get.
      const confirm =
        ca === undefined
          ? cb
          : cb === undefined
            ? ca
            : async (answer: DaemonAnswer): Promise<Confirmed> => {
                const inner = await cb(answer);
                return inner.ok ? ca(answer) : inner;
              };
      return {
        allowed: true,
        ...(confirm === undefined ? {} : { confirm }),
        ...(params === undefined ? {} : { params }),
        ...(query === undefined ? {} : { query }),
        ...(body === undefined ? {} : { body }),
        ...(response === undefined ? {} : { response }),
        ...(events === undefined ? {} : { events }),
      };
    },
  };
}
