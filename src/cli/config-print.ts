import { stringify } from 'yaml';
import { formatAddress } from '../config/address.js';
import type { LoadedConfig } from '../config/load.js';

/**
 * A loaded config written back as YAML that loads to the same config: defaults filled in,
 * addresses in their canonical spelling, tokens as the digests the proxy keeps (`tokenHash`),
 * so the output can be committed without the secrets. Used by `portcullis config print`, mostly
 * to move from environment variables (docs/compat.md) to a file.
 */
export function printConfig(loaded: LoadedConfig): string {
  const { config } = loaded;
  const doc = {
    listeners: config.listeners.map((l) => ({
      name: l.name,
      address: formatAddress(l.address),
      ...(l.policy !== undefined ? { policy: l.policy } : {}),
      ...(l.mode !== undefined ? { mode: `0${l.mode.toString(8).padStart(3, '0')}` } : {}),
      ...(l.group !== undefined ? { group: l.group } : {}),
      ...(l.tls !== undefined ? { tls: l.tls } : {}),
    })),
    upstream: { address: formatAddress(config.upstream.address), ...(config.upstream.tls !== undefined ? { tls: config.upstream.tls } : {}) },
    policies: config.policies,
    clients: config.clients.map(({ tokenSha256, ...rest }) => ({ ...rest, ...(tokenSha256 !== undefined ? { tokenHash: `sha256:${tokenSha256}` } : {}) })),
    ...(config.defaultClient !== undefined ? { defaultClient: config.defaultClient } : {}),
    limits: config.limits,
    log: config.log,
  };
  return `# portcullis config print (from ${loaded.source})\n${stringify(doc, { lineWidth: 0 })}`;
}
