import type net from 'node:net';
import { TLSSocket } from 'node:tls';
import { formatAddress, type Address } from '../config/address.js';
import type { Config } from '../config/schema.js';
import { createIdentifier } from '../identity/identify.js';
import { listen } from '../listener/listen.js';
import { decisionLog } from '../log/decision-log.js';
import type { Logger } from '../log/logger.js';
import type { CompiledPolicy } from '../policy/types.js';
import { createDial } from '../upstream/dial.js';
import { createLookup } from '../upstream/lookup.js';
import { ClientConnection, type ConnectionContext } from './connection.js';

export interface RunningProxy {
  readonly listeners: ReadonlyArray<{ readonly name: string; readonly address: Address }>;
  /** Stops accepting, lets plain requests finish within `graceMs`, then closes streams. */
  shutdown(graceMs: number): Promise<void>;
}

/** Policies that some client or listener of the config can end up with. */
function policiesInUse(config: Config): Set<string> {
  const names = new Set<string>();
  for (const l of config.listeners) if (l.policy !== undefined) names.add(l.policy);
  for (const c of config.clients) names.add(c.policy);
  return names;
}

export async function startProxy(config: Config, policies: ReadonlyMap<string, CompiledPolicy>, logger: Logger): Promise<RunningProxy> {
  const dial = createDial(config.upstream);
  const lookup = createLookup(dial);
  const log = decisionLog(logger, config.log.decisions);
  const identifier = await createIdentifier(config, {
    onError: (host, error) => logger.warn({ host, error: String(error) }, 'source hostname did not resolve; it matches no one until it does'),
  });
  const connections = new Set<ClientConnection>();
  const servers: net.Server[] = [];
  const bound: Array<{ name: string; address: Address }> = [];

  for (const name of policiesInUse(config)) {
    // Nothing is checked under it: whoever has it is root on the host, and the log should say so.
    if (policies.get(name)?.chain.includes('unrestricted')) {
      logger.warn({ policy: name }, 'policy is unrestricted: its clients can do anything the Docker socket allows, including owning the host');
    }
  }

  try {
    for (const l of config.listeners) {
      const ctx: ConnectionContext = {
        listener: l.name,
        policies,
        dial,
        minApiVersion: config.limits.minApiVersion,
        maxHeaderBytes: config.limits.maxHeaderBytes,
        maxBodyBytes: config.limits.maxBodyBytes,
        log,
        lookup,
      };
      const { server, address } = await listen(
        l,
        (socket) => {
          // Only a certificate mutual TLS verified can identify anyone.
          const peerCertificate = socket instanceof TLSSocket && socket.authorized ? socket.getPeerCertificate() : null;
          const identity = identifier.connection({ listener: l.name, remoteAddress: socket.remoteAddress, peerCertificate });
          connections.add(new ClientConnection(socket, ctx, identity, (c) => connections.delete(c)));
        },
        {
          onTlsClientError: (error, socket) => {
            logger.info({ listener: l.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, error: error.message }, 'tls handshake refused');
          },
        },
      );
      servers.push(server);
      bound.push({ name: l.name, address });
      logger.info({ listener: l.name, address: formatAddress(address), policy: l.policy ?? null, tls: l.tls !== undefined }, 'listening');
    }
  } catch (err) {
    for (const s of servers) s.close();
    identifier.close();
    throw err;
  }
  logger.info({ upstream: formatAddress(config.upstream.address) }, 'upstream');

  return {
    listeners: bound,
    async shutdown(graceMs) {
      for (const s of servers) s.close();
      identifier.close();
      for (const c of connections) c.drain();
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && [...connections].some((c) => c.busy && !c.streaming)) {
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const c of connections) c.destroy();
    },
  };
}
