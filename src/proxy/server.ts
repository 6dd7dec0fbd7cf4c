import { formatAddress, type Address } from '../config/address.js';
import type { LoadedConfig, LoadOptions } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { buildGeneration } from '../reload/generation.js';
import { ListenerSet, verifiedCertificate } from '../reload/listeners.js';
import { Reloader, warnUnrestricted, type ReloadResult, type ReloadTrigger } from '../reload/reloader.js';
import { Runtime } from '../reload/runtime.js';
import { ClientConnection, type ConnectionContext } from './connection.js';

export interface RunningProxy {
  /** the listeners bound now, which a reload may change */
  readonly listeners: ReadonlyArray<{ readonly name: string; readonly address: Address }>;
  readonly runtime: Runtime;
  /** loads the config again (from `loadOptions`) and makes it current if it is valid */
  reload(trigger: ReloadTrigger): Promise<ReloadResult>;
  /** connections open now, and how many of them carry a long-lived stream */
  counts(): { connections: number; streams: number };
  /** Stops accepting, lets plain requests finish within `graceMs`, then closes streams. */
  shutdown(graceMs: number): Promise<void>;
}

export interface ProxyHooks {
  /** the result of every reload, e.g. for metrics */
  onReload?(result: ReloadResult): void;
}

export async function startProxy(loaded: LoadedConfig, logger: Logger, loadOptions: LoadOptions = {}, hooks: ProxyHooks = {}): Promise<RunningProxy> {
  const runtime = new Runtime(await buildGeneration(1, loaded, logger));
  const connections = new Set<ClientConnection>();
  const contexts = new Map<string, ConnectionContext>();
  const listeners = new ListenerSet((listener, socket) => {
    let ctx = contexts.get(listener);
    if (ctx === undefined) contexts.set(listener, (ctx = runtime.context(listener)));
    const identity = runtime.identity({ listener, remoteAddress: socket.remoteAddress, peerCertificate: verifiedCertificate(socket) });
    connections.add(new ClientConnection(socket, ctx, identity, (c) => connections.delete(c)));
  }, logger);

  warnUnrestricted(runtime.current, logger);
  try {
    await listeners.start(loaded.config.listeners);
  } catch (err) {
    listeners.close();
    runtime.current.identifier.close();
    throw err;
  }
  logger.info({ upstream: formatAddress(loaded.config.upstream.address), generation: 1, config_sha256: loaded.sha256 }, 'upstream');
  const reloader = new Reloader(loadOptions, runtime, listeners, logger, hooks.onReload);

  return {
    get listeners() {
      return listeners.addresses();
    },
    runtime,
    reload: (trigger) => reloader.reload(trigger),
    counts() {
      let streams = 0;
      for (const c of connections) if (c.streaming) streams++;
      return { connections: connections.size, streams };
    },
    async shutdown(graceMs) {
      listeners.close();
      runtime.current.identifier.close();
      for (const c of connections) c.drain();
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && [...connections].some((c) => c.busy && !c.streaming)) {
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const c of connections) c.destroy();
    },
  };
}
