import { X509Certificate } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { certificateMatches, certificateNames, parseSanSpec, type CertificateNames, type CertificateRecogniser } from '../identity/certificate.js';
import type { AuthzCall } from './protocol.js';

/**
 * Who is asking, as far as dockerd tells a plugin: the verified client certificate (User is its
 * CN, UserAuthNMethod "TLS", RequestPeerCertificates the chain) or nobody. Tokens cannot work
 * (dockerd strips Authorization) nor can source addresses (dockerd does not pass the peer).
 *
 *   1. certificate  matched against the clients with `cert:` in config order, as the proxy does
 *   2. anonymous    the anonymous client: `--anonymous-client NAME`, else what an unrecognised
 *                   caller of the config's first listener gets (its bound client, its policy,
 *                   defaultClient), so a config written for the proxy protects the socket as is.
 * A verified certificate that matches no client falls through to 2, as on a proxy listener.
 */

export interface PluginIdentity {
  readonly client: string;
  readonly policy: string;
}

export class PluginIdentityError extends Error {}

/** The anonymous client; throws PluginIdentityError when the config gives none. */
export function anonymousIdentity(config: Config, name?: string): PluginIdentity {
  if (name !== undefined) {
    const c = config.clients.find((x) => x.name === name);
    if (c === undefined) throw new PluginIdentityError(`no client named "${name}" (clients: ${config.clients.map((x) => x.name).join(', ') || 'none'})`);
    return { client: c.name, policy: c.policy };
  }
  const first = config.listeners[0];
  if (first !== undefined) {
    const bound = config.clients.find((c) => c.listener === first.name);
    if (bound !== undefined) return { client: bound.name, policy: bound.policy };
    if (first.policy !== undefined) return { client: first.name, policy: first.policy };
  }
  const fallback = config.clients.find((c) => c.name === config.defaultClient);
  if (fallback !== undefined) return { client: fallback.name, policy: fallback.policy };
  throw new PluginIdentityError('the first listener has no client or policy of its own and there is no defaultClient: name one with --anonymous-client');
}

/** The clients with `cert:`, in config order. */
export function certificateClients(config: Config): Array<{ recogniser: CertificateRecogniser; identity: PluginIdentity }> {
  return config.clients.flatMap((c) =>
    c.cert === undefined
      ? []
      : [
          {
            recogniser: { ...(c.cert.cn !== undefined ? { cn: c.cert.cn } : {}), ...(c.cert.san !== undefined ? { san: c.cert.san.map(parseSanSpec) } : {}) },
            identity: { client: c.name, policy: c.policy },
          },
        ],
  );
}

function namesOf(call: AuthzCall): CertificateNames | null {
  if (call.authnMethod !== 'TLS') return null;
  const leaf = call.peerCertificates[0];
  if (leaf !== undefined) {
    try {
      return certificateNames(new X509Certificate(leaf));
    } catch {
      // dockerd verified it; a certificate Node cannot read still has the CN dockerd read.
    }
  }
  return call.user === '' ? null : { cn: call.user, san: [] };
}

export function createPluginIdentifier(config: Config, anonymousClient?: string): (call: AuthzCall) => PluginIdentity {
  const anonymous = anonymousIdentity(config, anonymousClient);
  const certs = certificateClients(config);
  return (call) => {
    const names = namesOf(call);
    if (names !== null) for (const c of certs) if (certificateMatches(c.recogniser, names)) return c.identity;
    return anonymous;
  };
}
