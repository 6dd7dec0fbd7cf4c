import { stringify } from 'yaml';
import { DEFAULT_CONFIG } from '../config/default.js';
import { compatPolicy } from './policy.js';
import { PRESETS } from '../presets/presets.js';
import { CompatError, hasCompatVariables, readCompatSettings, TRIGGERS, type CompatSettings } from './variables.js';

/** Where the listener goes when PORTCULLIS_LISTEN does not say: loopback, as the default config (the image sets 0.0.0.0). */
const DEFAULT_LISTEN = 'tcp://127.0.0.1:2375';

export const COMPAT_POLICY_NAME = 'environment';

/** The YAML config the settings stand for: what `serve` runs and `config print` shows. */
export function compatConfigYaml(s: CompatSettings): string {
  const doc = {
    listeners: [{ address: s.listen ?? DEFAULT_LISTEN, policy: COMPAT_POLICY_NAME }],
    ...(s.socketPath !== undefined ? { upstream: { address: `unix://${s.socketPath}` } } : {}),
    policies: { [COMPAT_POLICY_NAME]: compatPolicy(s) },
    log: { level: s.logLevel },
  };
  const origin = `# Built from the environment (${s.flavour} semantics${s.harden ? ', hardened' : ''}); see docs/compat.md.\n`;
  return origin + stringify(doc, { lineWidth: 0 });
}

/**
 * The config to use when no file is given: the socket-proxy variables' equivalent when the
 * environment has any, else the built-in default, moved to PORTCULLIS_LISTEN when that is set.
 *
 * @throws CompatError when a variable holds a value the originals do not document.
 */
export function environmentConfig(env: NodeJS.ProcessEnv): { name: string; text: string } {
  const preset = env['PORTCULLIS_PRESET'];
  if (preset) {
    if (hasCompatVariables(env)) throw new CompatError([`PORTCULLIS_PRESET=${preset} cannot be combined with socket-proxy variables (${TRIGGERS.filter((v) => env[v] !== undefined).join(', ')}): the preset is the whole policy`]);
    if (!Object.hasOwn(PRESETS, preset)) throw new CompatError([`PORTCULLIS_PRESET=${JSON.stringify(preset)}: no such preset (presets: ${Object.keys(PRESETS).join(', ')})`]);
    const s = readCompatSettings(env);
    const doc = {
      listeners: [{ address: s.listen ?? DEFAULT_LISTEN, policy: preset }],
      ...(s.socketPath !== undefined ? { upstream: { address: `unix://${s.socketPath}` } } : {}),
      log: { level: s.logLevel },
    };
    return { name: '<environment>', text: stringify(doc) };
  }
  if (hasCompatVariables(env)) return { name: '<environment>', text: compatConfigYaml(readCompatSettings(env)) };
  const listen = env['PORTCULLIS_LISTEN'];
  if (listen) return { name: '<default>', text: stringify({ listeners: [{ address: listen, policy: 'read-only' }] }) };
  return { name: '<default>', text: DEFAULT_CONFIG };
}
