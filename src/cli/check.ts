import { ConfigError, loadConfig } from '../config/load.js';

/** Validates a config file the way `serve` (or, with `plugin`, `portcullis plugin`) would load it; returns the exit code. */
export function checkCommand(file: string, env: NodeJS.ProcessEnv = process.env, plugin?: { anonymousClient?: string }): number {
  try {
    loadConfig({ file, env, ...(plugin !== undefined ? { plugin } : {}) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  process.stdout.write(`ok: ${file}\n`);
  return 0;
}
