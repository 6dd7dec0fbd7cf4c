import type { PeerCertificate } from 'node:tls';
import type { Config } from '../config/schema.js';
import { certificateMatches, certificateNames, describeCertificate, parseSanSpec, type CertificateRecogniser } from './certificate.js';
import { HostnameCache, parseIp, parseSourceEntry, SourceMatcher, type HostnameCacheOptions } from './source.js';
import { bearerToken, TokenTable } from './token.js';

/*
 * Who is asking (docs/identities.md). Each connection is identified by the first of these that
 * recognises it; the identity names a client and the policy that decides its requests.
 *
 *   1. certificate  a client certificate verified by a mutual-TLS listener, matched against the
 *                   clients with `cert:` in config order (CN, or any listed SAN). A verified
 *                   certificate that matches no `cert:` client is not refused for that: the steps
 *                   below still apply (the TLS handshake already checked it against clientCA).
 *   2. token        when the request has an Authorization header, it must be `Bearer <token>` with
 *                   the token of a client, or the request is refused (401 PC_UNKNOWN_TOKEN). A
 *                   credential that is presented never falls through to the weaker steps below.
 *   3. source       the peer address (IPv4-mapped IPv6 read as IPv4) against the clients with
 *                   `source:` in config order.
 *   4. listener     the first client with `listener:` naming the listener the connection came in on.
 *   5. listener     the listener's own `policy:`: the client named after the listener.
 *   6. default      `defaultClient`.
 *   otherwise       refused: 403 PC_UNKNOWN_CLIENT "no client matches this connection: …".
 *
 * Steps 1 and 3 to 6 depend only on the connection, so their outcome is computed once when the
 * connection is accepted; per request only the Authorization header is looked at, and a request
 * without one costs a single comparison.
 */

export interface Identity {
  readonly client: string;
  readonly policy: string;
  readonly by: 'certificate' | 'token' | 'source' | 'listener' | 'default';
}

export interface Refusal {
  readonly refused: true;
  readonly status: 401 | 403;
  readonly code: 'PC_UNKNOWN_TOKEN' | 'PC_UNKNOWN_CLIENT';
  /** safe to show the client and to log: never contains the token */
  readonly reason: string;
}

export type IdentifyResult = Identity | Refusal;

export interface ConnectionFacts {
  /** name of the listener that accepted the connection */
  readonly listener: string;
  /** socket.remoteAddress; undefined on a unix socket */
  readonly remoteAddress: string | undefined;
  /** only set when verified by mutual TLS (socket.authorized); null otherwise */
  readonly peerCertificate: PeerCertificate | null;
}

export interface ConnectionIdentity {
  /** per request: the Authorization header value (or undefined) decides the rest */
  identify(authorization: string | undefined): IdentifyResult;
}

export interface Identifier {
  /** per connection: cert, source and listener are fixed for its life */
  connection(facts: ConnectionFacts): ConnectionIdentity;
  /** stops the hostname refresh timer */
  close(): void;
}

export type IdentifierOptions = HostnameCacheOptions;

export function isRefusal(r: IdentifyResult): r is Refusal {
  return 'refused' in r;
}

const MALFORMED_AUTHORIZATION: Refusal = Object.freeze({
  refused: true,
  status: 401,
  code: 'PC_UNKNOWN_TOKEN',
  reason: 'the Authorization header is not "Bearer <token>"',
});

const UNKNOWN_TOKEN: Refusal = Object.freeze({
  refused: true,
  status: 401,
  code: 'PC_UNKNOWN_TOKEN',
  reason: 'the bearer token matches no configured client',
});

function identity(client: string, policy: string, by: Identity['by']): Identity {
  return Object.freeze({ client, policy, by });
}

/**
 * Builds the identifier of a loaded config. Hostnames in `source:` lists are resolved before this
 * resolves (a failure leaves the hostname matching nobody until a refresh succeeds), then
 * refreshed every 5 s in the background until close().
 */
export async function createIdentifier(config: Config, options: IdentifierOptions = {}): Promise<Identifier> {
  const certClients: Array<{ recogniser: CertificateRecogniser; identity: Identity }> = [];
  const tokenClients: Array<{ sha256Hex: string; value: Identity }> = [];
  const sourceClients: Array<{ matcher: SourceMatcher; identity: Identity }> = [];
  const byListener = new Map<string, Identity>();
  const hostnames = new Set<string>();

  for (const c of config.clients) {
    if (c.cert !== undefined) {
      const recogniser: CertificateRecogniser = {
        ...(c.cert.cn !== undefined ? { cn: c.cert.cn } : {}),
        ...(c.cert.san !== undefined ? { san: c.cert.san.map(parseSanSpec) } : {}),
      };
      certClients.push({ recogniser, identity: identity(c.name, c.policy, 'certificate') });
    }
    if (c.tokenSha256 !== undefined) tokenClients.push({ sha256Hex: c.tokenSha256, value: identity(c.name, c.policy, 'token') });
    if (c.source !== undefined) {
      const matcher = new SourceMatcher(c.source.map(parseSourceEntry));
      for (const h of matcher.hostnameList) hostnames.add(h);
      sourceClients.push({ matcher, identity: identity(c.name, c.policy, 'source') });
    }
    if (c.listener !== undefined && !byListener.has(c.listener)) byListener.set(c.listener, identity(c.name, c.policy, 'listener'));
  }
  for (const l of config.listeners) {
    if (l.policy !== undefined && !byListener.has(l.name)) byListener.set(l.name, identity(l.name, l.policy, 'listener'));
  }
  let fallback: Identity | undefined;
  if (config.defaultClient !== undefined) {
    const c = config.clients.find((x) => x.name === config.defaultClient);
    if (c === undefined) throw new Error(`defaultClient "${config.defaultClient}" names no client`);
    fallback = identity(c.name, c.policy, 'default');
  }

  const tokens = new TokenTable(tokenClients);
  const cache = new HostnameCache(hostnames, options);
  await cache.start();

  /** Steps 3 to 6, or the refusal. */
  function byConnection(facts: ConnectionFacts, certText: string): IdentifyResult {
    const address = facts.remoteAddress === undefined ? undefined : parseIp(facts.remoteAddress);
    if (address !== undefined) {
      for (const s of sourceClients) if (s.matcher.matches(address, cache)) return s.identity;
    }
    const l = byListener.get(facts.listener);
    if (l !== undefined) return l;
    if (fallback !== undefined) return fallback;
    const from = facts.remoteAddress === undefined ? 'a unix socket' : `address ${facts.remoteAddress}`;
    return Object.freeze({
      refused: true,
      status: 403,
      code: 'PC_UNKNOWN_CLIENT',
      reason: `no client matches this connection: listener "${facts.listener}", ${from}, ${certText}, no bearer token`,
    });
  }

  return {
    connection(facts: ConnectionFacts): ConnectionIdentity {
      let certText = 'no client certificate';
      if (facts.peerCertificate !== null) {
        const names = certificateNames(facts.peerCertificate);
        for (const c of certClients) {
          if (certificateMatches(c.recogniser, names)) {
            const fixed = c.identity;
            return { identify: () => fixed };
          }
        }
        certText = `client certificate ${describeCertificate(names)} matching no client`;
      }
      const connectionResult = byConnection(facts, certText);
      return {
        identify(authorization: string | undefined): IdentifyResult {
          if (authorization === undefined) return connectionResult;
          const token = bearerToken(authorization);
          if (token === undefined) return MALFORMED_AUTHORIZATION;
          return tokens.match(token) ?? UNKNOWN_TOKEN;
        },
      };
    },
    close(): void {
      cache.close();
    },
  };
}
