import { formatAddress, type Address } from '../config/address.js';
import type { LoadedConfig, LoadOptions } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { Metrics } from '../admin/metrics.js';
import { pingDaemon } from '../admin/ping.js';
import { startAdmin, type AdminServer } from '../admin/server.js';
import { buildGeneration, type BuildGeneration } from '../reload/generation.js';
import { ListenerSet, verifiedCertificate } from '../reload/listeners.js';
import { Reloader, warnUnrestricted, type ReloadResult, type ReloadTrigger } from '../reload/reloader.js';
import { Runtime } from '../reload/runtime.js';
import { ClientConnection, type ConnectionContext } from './connection.js';

export interface RunningProxy {
  /** the listeners bound now, which a reload may change */
  readonly listeners: ReadonlyArray<{ readonly name: string; readonly address: Address }>;
  readonly runtime: Runtime;
  /** the admin listener, when the config has one */
  readonly admin: AdminServer | undefined;
  /** loads the config again (from `loadOptions`) and makes it current if it is valid */
  reload(trigger: ReloadTrigger): Promise<ReloadResult>;
  /** Stops accepting, lets plain requests finish within `graceMs`, then closes streams. */
  shutdown(graceMs: number): Promise<void>;
}

export interface StartOptions {
  /** how to load the config again on reload */
  readonly loadOptions?: LoadOptions;
  /** reported by portcullis_build_info */
  readonly version?: string;
}

export async function startProxy(loaded: LoadedConfig, logger: Logger, options: StartOptions = {}): Promise<RunningProxy> {
  const connections = new Set<ClientConnection>();
  let runtime: Runtime | undefined;
  const metrics = loaded.config.admin === undefined
    ? undefined
    : new Metrics(
        {
          counts: () => ({ connections: connections.size, streamOperations: [...connections].filter((c) => c.streaming).map((c) => c.streamOperation) }),
          generation: () => runtime!.current.id,
          upstreamUp: async () => (await pingDaemon(runtime!.current.dial, runtime!.current.config.admin?.readyTimeoutMs ?? 2000)).ok,
        },
        options.version ?? 'unknown',
      );
  const build: BuildGeneration = (id, l) => buildGeneration(id, l, logger, metrics === undefined ? {} : { upstreamError: (errno) => metrics.upstreamError(errno) });
  runtime = new Runtime(await build(1, loaded), metrics === undefined ? undefined : (e) => metrics.request(e, e.mode ?? 'enforce'));
  const rt = runtime;
  const contexts = new Map<string, ConnectionContext>();
  const listeners = new ListenerSet((listener, socket) => {
    let ctx = contexts.get(listener);
    if (ctx === undefined) contexts.set(listener, (ctx = rt.context(listener)));
    const identity = rt.identity({ listener, remoteAddress: socket.remoteAddress, peerCertificate: verifiedCertificate(socket) });
    connections.add(new ClientConnection(socket, ctx, identity, (c) => connections.delete(c)));
  }, logger);

  warnUnrestricted(rt.current, logger);
  let admin: AdminServer | undefined;
  try {
    if (loaded.config.admin !== undefined) admin = await startAdmin(loaded.config.admin.address, rt, metrics!, logger);
    await listeners.start(loaded.config.listeners);
  } catch (err) {
    admin?.close();
    listeners.close();
    rt.current.identifier.close();
    throw err;
  }
  logger.info({ upstream: formatAddress(loaded.config.upstream.address), generation: 1, config_sha256: loaded.sha256 }, 'upstream');
  const reloader = new Reloader(options.loadOptions ?? {}, rt, build, listeners, logger, (result) => {
    if (result !== 'unchanged') metrics?.reload(result);
  });

  return {
    get listeners() {
      return listeners.addresses();
    },
    runtime: rt,
    admin,
    reload: (trigger) => reloader.reload(trigger),
    async shutdown(graceMs) {
      listeners.close();
      admin?.close();
      rt.current.identifier.close();
      for (const c of connections) c.drain();
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && [...connections].some((c) => c.busy && !c.streaming)) {
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const c of connections) c.destroy();
    },
  };
}
