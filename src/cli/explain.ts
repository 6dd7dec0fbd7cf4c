import { readFileSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { admit, inspect, type Refusal } from '../proxy/authorize.js';

export interface ExplainRequest {
  readonly method: string;
  readonly target: string;
  /** the request body, for operations whose body is inspected */
  readonly body: Buffer | null;
  /** explain for this client (by name) */
  readonly client?: string;
  /** or for whoever connects to this listener without other credentials; default the first listener */
  readonly listener?: string;
}

export interface Explanation {
  /** the client whose policy decided */
  readonly client: string;
  readonly policy: string;
  readonly operation: string | null;
  readonly group: string | null;
  readonly allowed: boolean;
  readonly status: number;
  /** the deciding rule id or error code */
  readonly rule: string;
  /** the denial message the client would receive, or null when allowed */
  readonly message: string | null;
  readonly inspected: boolean;
}

/**
 * The client a request would be identified as: a named client, or — for a listener — the client
 * bound to it, the listener's own policy, or the default client (docs/identities.md), in that order.
 */
function clientFor(loaded: LoadedConfig, req: ExplainRequest): { client: string; policy: string } {
  const { config } = loaded;
  if (req.client !== undefined) {
    const c = config.clients.find((x) => x.name === req.client);
    if (c === undefined) throw new Error(`no client named "${req.client}" (clients: ${config.clients.map((x) => x.name).join(', ') || 'none'})`);
    return { client: c.name, policy: c.policy };
  }
  const listener = req.listener === undefined ? config.listeners[0]! : config.listeners.find((l) => l.name === req.listener);
  if (listener === undefined) throw new Error(`no listener named "${req.listener}" (listeners: ${config.listeners.map((l) => l.name).join(', ')})`);
  const bound = config.clients.find((c) => c.listener === listener.name);
  if (bound !== undefined) return { client: bound.name, policy: bound.policy };
  if (listener.policy !== undefined) return { client: listener.name, policy: listener.policy };
  const fallback = config.clients.find((c) => c.name === config.defaultClient);
  if (fallback !== undefined) return { client: fallback.name, policy: fallback.policy };
  throw new Error(`listener "${listener.name}" has no client of its own: name one with --client`);
}

/**
 * Decides a request exactly as `serve` would, through the same code, without contacting the
 * daemon. Checks that need the daemon's state (starting an existing container, joining
 * another container's namespaces) cannot be completed and are reported as refused.
 */
export async function explain(loaded: LoadedConfig, req: ExplainRequest): Promise<Explanation> {
  const { config, policies } = loaded;
  const who = clientFor(loaded, req);
  const policy = policies.get(who.policy)!;
  const hasBody = req.body !== null && req.body.length > 0;
  const head = { method: req.method.toUpperCase(), target: req.target, upgrade: null, hasBody, contentTypes: hasBody ? ['application/json'] : [] };
  const base = { client: who.client, policy: who.policy };
  const refused = (r: Refusal, group: string | null, inspected: boolean): Explanation => ({
    ...base,
    operation: r.operation,
    group,
    allowed: false,
    status: r.status,
    rule: r.rule,
    message: r.message,
    inspected,
  });
  const a = admit(head, policy, config.limits.minApiVersion);
  if (!a.allowed) return refused(a, null, false);
  const op = a.match.op;
  if (a.inspect) {
    const raw = op.body === 'json' && hasBody ? req.body : null;
    const offline = (path: string) => Promise.reject(new Error(`explain does not contact the daemon (the check needs GET ${path})`));
    const result = await inspect(policy, head.method, a.match, raw, who.client, offline);
    if (!result.allowed) return refused(result, op.group, true);
  }
  return { ...base, operation: op.id, group: op.group, allowed: true, status: 200, rule: a.rule, message: null, inspected: a.inspect };
}

export function formatExplanation(e: Explanation): string {
  const lines = [
    `client:    ${e.client} (policy ${e.policy})`,
    `operation: ${e.operation ?? '(none: the request does not route)'}${e.group === null ? '' : ` [${e.group}]`}`,
    `decision:  ${e.allowed ? 'ALLOW' : `DENY ${e.status}`} by rule ${e.rule}${e.inspected ? ' (body and constraints checked)' : ''}`,
  ];
  if (e.message !== null) lines.push(`message:   ${e.message}`);
  return `${lines.join('\n')}\n`;
}

export function readBody(file: string | undefined): Buffer | null {
  if (file === undefined) return null;
  return file === '-' ? readFileSync(0) : readFileSync(file);
}
