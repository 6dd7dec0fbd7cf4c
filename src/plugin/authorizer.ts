import type { LoadedConfig } from '../config/load.js';
import { Errors, type ErrorCode } from '../errors.js';
import { admit, inspect, refusal, type Refusal } from '../proxy/authorize.js';
import type { RouteMatch } from '../routing/router.js';
import type { Lookup } from '../upstream/lookup.js';
import { inspectedBody, mayHaveBody, unseenBodyOnBodiless } from './body.js';
import { createPluginIdentifier } from './identity.js';
import type { AuthzCall } from './protocol.js';
import type { SelfMarker } from './self.js';

/**
 * The decision about one AuthZReq, through the same admit() and inspect() as the proxy and
 * `portcullis explain`. What differs is only what a plugin is told: the head facts come from
 * dockerd's flattened header map, and a body the policy must read is judged only when dockerd
 * handed it over whole (body.ts).
 */

export interface PluginDecision {
  readonly allowed: boolean;
  /** `portcullis: <op> denied: … (rule …)`, which dockerd prefixes with "authorization denied by plugin <name>: " */
  readonly message: string | null;
  readonly client: string | null;
  readonly operation: string | null;
  /** the deciding rule or error code; `self` for the plugin's own look-ups */
  readonly rule: string | null;
  readonly path: string;
}

export interface Authorizer {
  request(call: AuthzCall): Promise<PluginDecision>;
}

export interface AuthorizerOptions {
  readonly lookup: Lookup;
  readonly self: SelfMarker;
  readonly anonymousClient?: string;
}

function shown(uri: string): string {
  return uri.length > 512 ? `${uri.slice(0, 512)}...` : uri;
}

export function createAuthorizer(loaded: LoadedConfig, opts: AuthorizerOptions): Authorizer {
  const { config, policies } = loaded;
  const identify = createPluginIdentifier(config, opts.anonymousClient);
  const minVersion = config.limits.minApiVersion;

  const denied = (r: Refusal, client: string, uri: string): PluginDecision => ({
    allowed: false,
    message: r.message,
    client,
    operation: r.operation,
    rule: r.rule,
    path: r.target ?? shown(uri),
  });
  const refuse = (code: ErrorCode, m: RouteMatch, reason: string, client: string, uri: string): PluginDecision =>
    denied(refusal(Errors[code].status, m.op.id, reason, code, m), client, uri);

  return {
    async request(call) {
      if (opts.self.isOwn(call)) return { allowed: true, message: null, client: null, operation: null, rule: 'self', path: shown(call.uri) };
      const who = identify(call);
      const policy = policies.get(who.policy)!;
      const contentType = call.headers.get('content-type');
      const connection = (call.headers.get('connection') ?? '').toLowerCase().split(',').map((t) => t.trim());
      const upgrade = connection.includes('upgrade') ? (call.headers.get('upgrade') ?? null) : null;
      const head = { method: call.method, target: call.uri, upgrade, hasBody: mayHaveBody(call), contentTypes: contentType === undefined ? [] : [contentType] };
      const a = admit(head, policy, minVersion);
      if (!a.allowed) return denied(a, who.client, call.uri);
      const m = a.match;
      const allowed: PluginDecision = { allowed: true, message: null, client: who.client, operation: m.op.id, rule: a.rule, path: m.target };
      const form = unseenBodyOnBodiless(m.op, call);
      if (form !== null) return refuse('PC_PLUGIN_BODY_UNSEEN', m, form, who.client, call.uri);
      if (!a.inspect) return allowed;
      const body = inspectedBody(m.op, call);
      if (!body.seen) return refuse('PC_PLUGIN_BODY_UNSEEN', m, `${body.reason}: the policy must inspect it, so it is refused`, who.client, call.uri);
      const result = await inspect(policy, call.method, m, body.raw, who.client, opts.lookup);
      if (!result.allowed) return denied(result, who.client, call.uri);
      // Pinning a reference to the checked container is the one change tolerated: dockerd resolves
      // the client's reference as the look-up did. Answer filters cannot be applied by a plugin.
      if (result.response !== null || result.events !== null) {
        return refuse('PC_PLUGIN_UNSUPPORTED', m, 'the answer would have to be filtered, which an authorization plugin cannot do', who.client, call.uri);
      }
      return allowed;
    },
  };
}
