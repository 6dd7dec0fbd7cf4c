/**
 * `portcullis certs`: a small private CA for mutual-TLS listeners.
 *
 *   DIR/ca.pem, DIR/ca-key.pem            the CA (ECDSA P-256, 10 years by default)
 *   DIR/server.pem, DIR/server-key.pem    the listener's certificate (CN portcullis, SANs)
 *   DIR/clients/NAME/{ca,cert,key}.pem    one client each (CN NAME, clientAuth), laid out as
 *                                         DOCKER_CERT_PATH expects
 *
 * Certificates are built with @peculiar/x509 over Node's WebCrypto; no ASN.1 is written here.
 * Keys are PKCS#8 PEM, created with mode 0600 (never widened, then narrowed).
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { lstat, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** certificates start a little in the past so that a client whose clock is slightly behind accepts them */
const BACKDATE_MS = 5 * 60 * 1000;

export const DEFAULT_CA_DAYS = 3650;
export const DEFAULT_LEAF_DAYS = 365;
export const DEFAULT_SERVER_SANS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export class CertsError extends Error {
  override name = 'CertsError';
}

export interface Validity {
  /** days from now; ignored when notAfter is given */
  days: number;
  /** explicit end of validity, e.g. in the past to produce an expired certificate for tests */
  notAfter?: Date;
}

export interface InitOptions {
  dir: string;
  /** extra server names: DNS names or IP addresses */
  sans: readonly string[];
  caDays: number;
  server: Validity;
  /** replace existing files instead of refusing */
  force: boolean;
}

export interface ClientOptions {
  dir: string;
  name: string;
  validity: Validity;
  force: boolean;
}

const HOST_LABEL = /^(?:\*|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)$/;

/** A DNS name (a leading `*.` wildcard allowed) or an IPv4/IPv6 address. */
export function parseSan(value: string): { type: 'dns' | 'ip'; value: string } {
  const v = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (isIP(v) !== 0) return { type: 'ip', value: v };
  const labels = v.replace(/\.$/, '').split('.');
  const ok = v.length > 0 && v.length <= 253 && labels.every((l, i) => HOST_LABEL.test(l) && (l !== '*' || i === 0));
  if (!ok) throw new CertsError(`--san "${value}" is neither a DNS name nor an IP address`);
  return { type: 'dns', value: v.replace(/\.$/, '') };
}

/** Client names become a CN and a directory name. */
export function checkClientName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(name)) {
    throw new CertsError(`client name "${name}" must be 1-64 letters, digits, "_", ".", "@" or "-", starting with a letter or digit`);
  }
}

/** A positive 127-bit serial (RFC 5280: positive, at most 20 octets, unpredictable). */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f || 0x01;
  return b.toString('hex');
}

function period(v: Validity): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  const notAfter = v.notAfter ?? new Date(now + v.days * DAY_MS);
  let notBefore = new Date(now - BACKDATE_MS);
  // An already-expired certificate (for tests) still needs notBefore < notAfter.
  if (notBefore >= notAfter) notBefore = new Date(notAfter.getTime() - DAY_MS);
  return { notBefore, notAfter };
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

interface Issuer {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

async function loadIssuer(dir: string): Promise<Issuer> {
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca-key.pem');
  let certText: string;
  let keyText: string;
  try {
    [certText, keyText] = await Promise.all([readFile(caFile, 'utf8'), readFile(keyFile, 'utf8')]);
  } catch (error) {
    throw new CertsError(`cannot read the CA in ${dir} (run "portcullis certs init --dir ${dir}" first): ${(error as Error).message}`);
  }
  const cert = new x509.X509Certificate(certText);
  const keyDer = x509.PemConverter.decodeFirst(keyText);
  let key: CryptoKey;
  try {
    key = await webcrypto.subtle.importKey('pkcs8', keyDer, ALGORITHM, false, ['sign']);
  } catch (error) {
    throw new CertsError(`${keyFile}: not an ECDSA P-256 PKCS#8 key: ${(error as Error).message}`);
  }
  return { cert, key };
}

async function issueLeaf(
  issuer: Issuer,
  subject: string,
  usage: 'server' | 'client',
  validity: Validity,
  sans: ReadonlyArray<{ type: 'dns' | 'ip'; value: string }>,
): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair }> {
  const keys = await newKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.cert),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans.map((s) => ({ type: s.type, value: s.value }))));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${subject}`,
    issuer: issuer.cert.subject,
    ...period(validity),
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { cert, keys };
}

/**
 * Writes each file only if none of them exists (or after removing them all with `force`), so a
 * CA is never half-replaced. Keys are created 0600 with O_EXCL; certificates 0644.
 */
async function writeAll(files: ReadonlyArray<{ path: string; text: string; secret: boolean }>, force: boolean): Promise<void> {
  if (force) {
    for (const f of files) await unlink(f.path).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  } else {
    const existing: string[] = [];
    for (const f of files) {
      try {
        await lstat(f.path);
        existing.push(f.path);
      } catch {
        // absent, as wanted
      }
    }
    if (existing.length > 0) throw new CertsError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} (use --force to replace)`);
  }
  for (const f of files) {
    try {
      await writeFile(f.path, f.text, { mode: f.secret ? 0o600 : 0o644, flag: 'wx' });
    } catch (error) {
      throw new CertsError(`cannot write ${f.path}: ${(error as Error).message}`);
    }
  }
}

/** `certs init`: a new CA and a server certificate signed by it. Returns the paths written. */
export async function certsInit(opts: InitOptions): Promise<string[]> {
  const sans = [...DEFAULT_SERVER_SANS, ...opts.sans].map(parseSan);
  const unique = sans.filter((s, i) => sans.findIndex((t) => t.type === s.type && t.value.toLowerCase() === s.value.toLowerCase()) === i);

  const caKeys = await newKeys();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: 'CN=Portcullis CA',
    ...period({ days: opts.caDays }),
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const server = await issueLeaf({ cert: caCert, key: caKeys.privateKey }, 'portcullis', 'server', opts.server, unique);

  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const files = [
    { path: join(opts.dir, 'ca.pem'), text: caCert.toString('pem') + '\n', secret: false },
    { path: join(opts.dir, 'ca-key.pem'), text: await keyPem(caKeys.privateKey), secret: true },
    { path: join(opts.dir, 'server.pem'), text: server.cert.toString('pem') + '\n', secret: false },
    { path: join(opts.dir, 'server-key.pem'), text: await keyPem(server.keys.privateKey), secret: true },
  ];
  await writeAll(files, opts.force);
  return files.map((f) => f.path);
}

/** `certs client NAME`: a client certificate with CN NAME signed by DIR's CA. Returns the paths written. */
export async function certsClient(opts: ClientOptions): Promise<string[]> {
  checkClientName(opts.name);
  const issuer = await loadIssuer(opts.dir);
  const client = await issueLeaf(issuer, opts.name, 'client', opts.validity, []);
  const out = join(opts.dir, 'clients', opts.name);
  await mkdir(out, { recursive: true, mode: 0o700 });
  const files = [
    { path: join(out, 'ca.pem'), text: issuer.cert.toString('pem') + '\n', secret: false },
    { path: join(out, 'cert.pem'), text: client.cert.toString('pem') + '\n', secret: false },
    { path: join(out, 'key.pem'), text: await keyPem(client.keys.privateKey), secret: true },
  ];
  await writeAll(files, opts.force);
  return files.map((f) => f.path);
}
