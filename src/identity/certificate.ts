import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';

/**
 * Client certificates (mutual TLS only: the listener has verified the chain before anything here
 * looks at it). A `cert:` recogniser matches when its `cn` equals the subject's common name, or
 * when any of its `san` entries equals one of the certificate's subject alternative names of the
 * same type:
 *
 *   dns:ci.example.com       DNS name, compared case-insensitively (a wildcard is only equal to
 *                            the same wildcard)
 *   email:ci@example.com     rfc822Name, compared exactly
 *   uri:spiffe://x/ci        URI, compared exactly
 *
 * A certificate whose subject has several CNs has no CN as far as matching goes (which one would
 * be meant is ambiguous); SANs still match.
 */

export type SanType = 'dns' | 'email' | 'uri';

export interface SanName {
  readonly type: SanType;
  readonly value: string;
}

export interface CertificateRecogniser {
  readonly cn?: string;
  readonly san?: readonly SanName[];
}

/** What matching needs of a certificate; built once per connection. */
export interface CertificateNames {
  /** the subject's only CN, or undefined when it has none or several */
  readonly cn: string | undefined;
  readonly san: readonly SanName[];
}

const SAN_PREFIX = /^(dns|email|uri):(.+)$/i;

/** Parses `dns:…`, `email:…` or `uri:…` as written in the config; throws a message otherwise. */
export function parseSanSpec(text: string): SanName {
  const m = SAN_PREFIX.exec(text);
  if (!m) throw new Error(`"${text}" must be dns:NAME, email:ADDRESS or uri:URI`);
  return normalise({ type: m[1]!.toLowerCase() as SanType, value: m[2]! });
}

function normalise(n: SanName): SanName {
  return n.type === 'dns' ? { type: 'dns', value: n.value.toLowerCase().replace(/\.$/, '') } : n;
}

const NODE_SAN_TYPES: Readonly<Record<string, SanType>> = { DNS: 'dns', email: 'email', URI: 'uri' };

/**
 * Parses Node's `subjectaltname` string (`DNS:a, email:b, URI:"c\u002cd", IP Address:…`): entries
 * are separated by ", "; a value containing a comma, quote or other unsafe character is written
 * as a JSON string. Types other than DNS, email and URI are skipped. Returns undefined when the
 * string cannot be read, so that a malformed list matches nothing.
 */
export function parseSubjectAltName(text: string | undefined): SanName[] | undefined {
  const out: SanName[] = [];
  if (text === undefined || text === '') return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) return undefined;
    const type = text.slice(i, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return undefined;
      try {
        value = JSON.parse(text.slice(colon + 1, j + 1)) as string;
      } catch {
        return undefined;
      }
      end = j + 1;
    } else {
      const comma = text.indexOf(',', colon + 1);
      end = comma < 0 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    if (end < text.length) {
      if (text.slice(end, end + 2) !== ', ') return undefined;
      end += 2;
    }
    const t = NODE_SAN_TYPES[type];
    if (t !== undefined) out.push(normalise({ type: t, value }));
    i = end;
  }
  return out;
}

/** The names of a peer certificate (tls.TLSSocket#getPeerCertificate()) or an X509Certificate. */
export function certificateNames(cert: PeerCertificate | X509Certificate): CertificateNames {
  const legacy: PeerCertificate = cert instanceof X509Certificate ? cert.toLegacyObject() : cert;
  const raw = legacy.subject?.CN as string | string[] | undefined;
  const cn = typeof raw === 'string' ? raw : undefined;
  return { cn, san: parseSubjectAltName(legacy.subjectaltname) ?? [] };
}

export function certificateMatches(r: CertificateRecogniser, names: CertificateNames): boolean {
  if (r.cn !== undefined && names.cn !== undefined && r.cn === names.cn) return true;
  if (r.san) {
    for (const want of r.san) {
      for (const have of names.san) if (have.type === want.type && have.value === want.value) return true;
    }
  }
  return false;
}

/** A short description for refusal messages and logs (names are not secret). */
export function describeCertificate(names: CertificateNames): string {
  const parts: string[] = [];
  if (names.cn !== undefined) parts.push(`CN=${names.cn}`);
  for (const s of names.san.slice(0, 4)) parts.push(`${s.type}:${s.value}`);
  if (names.san.length > 4) parts.push('…');
  return parts.length > 0 ? parts.join(', ') : 'no CN or SAN';
}
