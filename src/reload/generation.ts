import type { Config } from '../config/schema.js';
import type { LoadedConfig } from '../config/load.js';
import { createIdentifier, type Identifier } from '../identity/identify.js';
import { decisionLog, type DecisionLog } from '../log/decision-log.js';
import type { Logger } from '../log/logger.js';
import type { CompiledPolicy } from '../policy/types.js';
import { createDial, type Dial } from '../upstream/dial.js';
import { createLookup, type Lookup } from '../upstream/lookup.js';

/**
 * One loaded configuration with everything built from it. A request is decided wholly by the
 * generation current when its head was read: identity, policy, limits and upstream all come from
 * the same object, so a reload can never mix an old client table with a new policy.
 */
export interface Generation {
  /** 1 for the config loaded at start, +1 for each successful reload */
  readonly id: number;
  /** hex SHA-256 of the config text */
  readonly sha256: string;
  readonly source: string;
  readonly loadedAt: Date;
  readonly config: Config;
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
  readonly identifier: Identifier;
  readonly dial: Dial;
  readonly lookup: Lookup;
  readonly log: DecisionLog;
}

export interface GenerationHooks {
  /** a connection to the daemon failed (errno such as ECONNREFUSED, or the error's message) */
  upstreamError?(errno: string): void;
}

export type BuildGeneration = (id: number, loaded: LoadedConfig) => Promise<Generation>;

/** Builds a generation; throws when something outside the file (e.g. an upstream TLS file) is unusable. */
export async function buildGeneration(id: number, loaded: LoadedConfig, logger: Logger, hooks: GenerationHooks = {}): Promise<Generation> {
  const { config } = loaded;
  const dial = observedDial(createDial(config.upstream), hooks);
  const identifier = await createIdentifier(config, {
    onError: (host, error) => logger.warn({ host, error: String(error) }, 'source hostname did not resolve; it matches no one until it does'),
  });
  return {
    id,
    sha256: loaded.sha256,
    source: loaded.source,
    loadedAt: new Date(),
    config,
    policies: loaded.policies,
    identifier,
    dial,
    lookup: createLookup(dial),
    log: decisionLog(logger, config.log.decisions),
  };
}

/** Policies that some client or listener of the config can end up with. */
export function policiesInUse(config: Config): Set<string> {
  const names = new Set<string>();
  for (const l of config.listeners) if (l.policy !== undefined) names.add(l.policy);
  for (const c of config.clients) names.add(c.policy);
  return names;
}

function observedDial(dial: Dial, hooks: GenerationHooks): Dial {
  const onError = hooks.upstreamError;
  if (onError === undefined) return dial;
  return (onread) => {
    const socket = dial(onread);
    socket.once('error', (error: NodeJS.ErrnoException) => onError(error.code ?? 'unknown'));
    return socket;
  };
}

/** A policy's own mode, else the config's default. */
export function policyMode(config: Config, policy: string): 'enforce' | 'audit' {
  return config.policies[policy]?.mode ?? config.mode;
}
