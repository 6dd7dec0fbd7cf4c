import { formatAddress } from '../config/address.js';
import { ConfigError, formatProblem, loadConfig, type LoadedConfig, type LoadOptions } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { policiesInUse, type BuildGeneration, type Generation } from './generation.js';
import { ListenerError, type ListenerSet } from './listeners.js';
import type { Runtime } from './runtime.js';

export type ReloadTrigger = 'SIGHUP' | 'file' | 'admin';
export type ReloadResult = 'success' | 'failure' | 'unchanged';

/**
 * Reloads the whole config: read, validate and compile it completely, build its identifier and
 * upstream, bind new listeners, and only then make it current in one assignment. Anything that
 * fails on the way leaves the running generation as it was and logs every problem with its place.
 * Reloads run one at a time, in the order they were asked for.
 */
export class Reloader {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: LoadOptions,
    private readonly runtime: Runtime,
    private readonly build: BuildGeneration,
    private readonly listeners: ListenerSet,
    private readonly logger: Logger,
    private readonly onResult: (result: ReloadResult) => void = () => {},
  ) {}

  reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    const run = this.queue.then(() => this.run(trigger));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(trigger: ReloadTrigger): Promise<ReloadResult> {
    const current = this.runtime.current;
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig(this.options);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const p of error.problems) {
        this.logger.error({ trigger, file: p.source, line: p.line ?? null, col: p.col ?? null, key: p.key, error: formatProblem(p) }, 'config error');
      }
      return this.failed(trigger, current, `${error.problems.length} error(s) in the config`);
    }
    // An editor touching the file without changing it is no reason to rebind or log anything.
    if (trigger === 'file' && loaded.sha256 === current.sha256) return 'unchanged';

    let next: Generation;
    try {
      next = await this.build(current.id + 1, loaded);
    } catch (error) {
      this.logger.error({ trigger, file: loaded.source, error: (error as Error).message }, 'config error');
      return this.failed(trigger, current, (error as Error).message);
    }
    let change;
    try {
      change = await this.listeners.stage(next.config.listeners);
    } catch (error) {
      next.identifier.close();
      const listener = error instanceof ListenerError ? { listener: error.listener } : {};
      this.logger.error({ trigger, file: loaded.source, ...listener, error: (error as Error).message }, 'config error');
      return this.failed(trigger, current, (error as Error).message);
    }
    this.runtime.swap(next);
    change.commit();
    current.identifier.close();
    this.logger.level = next.config.log.level;
    if (next.config.log.file !== current.config.log.file) {
      this.logger.warn({ generation: next.id }, 'the log file is opened at start: a change of log.file takes effect at the next restart');
    }
    const adminAddress = (g: Generation): string | null => (g.config.admin === undefined ? null : formatAddress(g.config.admin.address));
    if (adminAddress(next) !== adminAddress(current)) {
      this.logger.warn({ generation: next.id }, 'the admin listener is bound at start: a change of its address takes effect at the next restart');
    }
    warnUnrestricted(next, this.logger);
    this.logger.info(
      { trigger, generation: next.id, config_sha256: next.sha256, previous: current.id, listeners: { added: change.added, removed: change.removed, changed: change.changed } },
      'config reloaded',
    );
    this.onResult('success');
    return 'success';
  }

  private failed(trigger: ReloadTrigger, current: Generation, why: string): ReloadResult {
    this.logger.error({ trigger, generation: current.id, config_sha256: current.sha256, error: why }, 'config reload failed; the running config is kept');
    this.onResult('failure');
    return 'failure';
  }
}

/** Nothing is checked under `unrestricted`: whoever has it is root on the host, and the log should say so. */
export function warnUnrestricted(gen: Generation, logger: Logger): void {
  for (const name of policiesInUse(gen.config)) {
    if (gen.policies.get(name)?.chain.includes('unrestricted')) {
      logger.warn({ policy: name }, 'policy is unrestricted: its clients can do anything the Docker socket allows, including owning the host');
    }
  }
}
