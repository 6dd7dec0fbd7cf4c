import type net from 'node:net';
import { formatAddress, type Address } from '../config/address.js';
import type { Config } from '../config/schema.js';
import { listen } from '../listener/listen.js';
import { decisionLog } from '../log/decision-log.js';
import type { Logger } from '../log/logger.js';
import type { CompiledPolicy } from '../policy/types.js';
import { createDial } from '../upstream/dial.js';
import { createLookup } from '../upstream/lookup.js';
import { ClientConnection } from './connection.js';

export interface RunningProxy {
  readonly listeners: ReadonlyArray<{ readonly name: string; readonly address: Address }>;
  /** Stops accepting, lets plain requests finish within `graceMs`, then closes streams. */
  shutdown(graceMs: number): Promise<void>;
}

export async function startProxy(config: Config, policies: ReadonlyMap<string, CompiledPolicy>, logger: Logger): Promise<RunningProxy> {
  const dial = createDial(config.upstream);
  const lookup = createLookup(dial);
  const log = decisionLog(logger, config.log.decisions);
  const connections = new Set<ClientConnection>();
  const servers: net.Server[] = [];
  const bound: Array<{ name: string; address: Address }> = [];

  try {
    for (const l of config.listeners) {
      const policy = policies.get(l.policy);
      if (policy === undefined) throw new Error(`listener ${l.name}: unknown policy "${l.policy}"`);
      const ctx = {
        listener: l.name,
        policy,
        dial,
        minApiVersion: config.limits.minApiVersion,
        maxHeaderBytes: config.limits.maxHeaderBytes,
        maxBodyBytes: config.limits.maxBodyBytes,
        log,
        lookup,
      };
      const { server, address } = await listen(l, (socket) => {
        connections.add(new ClientConnection(socket, ctx, (c) => connections.delete(c)));
      });
      servers.push(server);
      bound.push({ name: l.name, address });
      logger.info({ listener: l.name, address: formatAddress(address), policy: l.policy }, 'listening');
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  logger.info({ upstream: formatAddress(config.upstream.address) }, 'upstream');

  return {
    listeners: bound,
    async shutdown(graceMs) {
      for (const s of servers) s.close();
      for (const c of connections) c.drain();
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && [...connections].some((c) => c.busy && !c.streaming)) {
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const c of connections) c.destroy();
    },
  };
}
